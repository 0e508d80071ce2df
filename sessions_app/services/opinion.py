"""The live opinion map of a statements question, kept up to date in ``OpinionMapState``.
The server's tick asks ``map_inputs`` whether the votes changed since the stored map (a
cheap signature), computes the map from those inputs away from its event loop
(``opinion.serialize.compute``, in a worker process) and stores it with ``map_store``;
``map_refresh`` does all three in one go (commands, exports, tests). The reads (the
counted votes, the statements, the map computed here and now, the stored map) are
selectors (``sessions_app.selectors``).
"""

from __future__ import annotations

from django.db.models import Count, Max, Q

from sessions_app.models import (
    Moderation,
    OpinionMapState,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
)
from sessions_app.opinion.serialize import compute, previous_k_state, previous_labels
from sessions_app.selectors import question_statements, question_votes, stored_map


def signature(question: Question) -> str:
    """Changes whenever a vote is counted or superseded, or a statement is added, hidden
    or shown: the newest response, the number counting, and the hidden statements."""
    found = Response.objects.filter(question=question, statement__isnull=False).aggregate(
        newest=Max("id"), counting=Count("id", filter=Q(status=ResponseStatus.COUNTED))
    )
    statements = question_statements(question)
    hidden = ",".join(str(pk) for pk, moderation in statements if moderation == Moderation.HIDDEN)
    return f"{found['newest'] or 0}:{found['counting']}:{len(statements)}:{hidden}"[:200]


def map_inputs(question_id: int) -> dict | None:
    """What the next map is made from, or None when it is not a statements question or
    nothing changed since the stored map."""
    question = Question.objects.filter(pk=question_id, kind=QuestionKind.STATEMENTS).first()
    if question is None:
        return None
    current = signature(question)
    stored = OpinionMapState.objects.filter(question=question).values_list("signature", "data")
    stored = stored.first()
    if stored is not None and stored[0] == current:
        return None
    statements = question_statements(question)
    return {
        "question": question.pk,
        "signature": current,
        "votes": question_votes(question),
        "statements": [pk for pk, _moderation in statements],
        "hidden": [pk for pk, moderation in statements if moderation == Moderation.HIDDEN],
        "previous": previous_labels(stored[1] if stored else None),
        "k_state": previous_k_state(stored[1] if stored else None),
    }


def map_store(inputs: dict, data: dict, seconds: float) -> None:
    OpinionMapState.objects.update_or_create(
        question_id=inputs["question"],
        defaults={"signature": inputs["signature"], "data": data, "seconds": seconds},
    )


def map_refresh(question: Question) -> dict | None:
    """Bring the stored map up to date here and now, and return it (None for a question
    of another kind)."""
    inputs = map_inputs(question.pk)
    if inputs is not None:
        data, seconds = compute(inputs)
        map_store(inputs, data, seconds)
    return stored_map(question.pk)
