"""The opinion map of a statements question, read from the database: the counted votes
(phones and paper alike; a changed vote has already superseded the earlier one) and the
question's statements, hidden ones marked.

The live map is kept in ``OpinionMapState``. The server's tick asks ``map_inputs`` whether
the votes changed since the stored map (a cheap signature), computes the map from those
inputs away from its event loop (``opinion.serialize.compute``, in a worker process) and
stores it with ``map_store``. Screens and exports read the stored map (``stored_map``);
``map_refresh`` does all three in one go (commands, exports, tests).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Count, Max, Q

from sessions_app.models import (
    Moderation,
    OpinionMapState,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
)
from sessions_app.opinion.groups import OpinionMap, opinion_map
from sessions_app.opinion.serialize import compute, previous_labels


def question_votes(question: Question) -> list[tuple[int, int, int]]:
    """(participant, statement, vote) of every counted vote, oldest first."""
    return list(
        Response.objects.filter(
            question=question, status=ResponseStatus.COUNTED, statement__isnull=False
        )
        .order_by("created_at", "id")
        .values_list("participant_id", "statement_id", "number")
    )


def _statements(question: Question) -> list[tuple[int, str]]:
    return list(question.options.order_by("position", "id").values_list("pk", "moderation"))


def question_map(question: Question, *, previous: Mapping[int, int] | None = None) -> OpinionMap:
    """The map of ``question`` (a statements question), participants keyed by their row
    id; ``previous`` is the last map's labels, for stable group colours."""
    if question.kind != QuestionKind.STATEMENTS:
        raise ValueError("only a statements question has an opinion map")
    statements = _statements(question)
    return opinion_map(
        question_votes(question),
        statements=[pk for pk, _moderation in statements],
        hidden=[pk for pk, moderation in statements if moderation == Moderation.HIDDEN],
        previous=previous,
    )


def signature(question: Question) -> str:
    """Changes whenever a vote is counted or superseded, or a statement is added, hidden
    or shown: the newest response, the number counting, and the hidden statements."""
    found = Response.objects.filter(question=question, statement__isnull=False).aggregate(
        newest=Max("id"), counting=Count("id", filter=Q(status=ResponseStatus.COUNTED))
    )
    statements = _statements(question)
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
    statements = _statements(question)
    return {
        "question": question.pk,
        "signature": current,
        "votes": question_votes(question),
        "statements": [pk for pk, _moderation in statements],
        "hidden": [pk for pk, moderation in statements if moderation == Moderation.HIDDEN],
        "previous": previous_labels(stored[1] if stored else None),
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


def stored_map(question_id: int) -> dict | None:
    return (
        OpinionMapState.objects.filter(question_id=question_id)
        .values_list("data", flat=True)
        .first()
    )
