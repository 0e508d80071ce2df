"""The opinion map of a statements question, read from the database: the counted votes
(phones and paper alike; a changed vote has already superseded the earlier one) and the
question's statements, hidden ones marked."""

from __future__ import annotations

from collections.abc import Mapping

from sessions_app.models import Moderation, Question, QuestionKind, Response, ResponseStatus
from sessions_app.opinion.groups import OpinionMap, opinion_map


def question_votes(question: Question) -> list[tuple[int, int, int]]:
    """(participant, statement, vote) of every counted vote, oldest first."""
    return list(
        Response.objects.filter(
            question=question, status=ResponseStatus.COUNTED, statement__isnull=False
        )
        .order_by("created_at", "id")
        .values_list("participant_id", "statement_id", "number")
    )


def question_map(question: Question, *, previous: Mapping[int, int] | None = None) -> OpinionMap:
    """The map of ``question`` (a statements question), participants keyed by their row
    id; ``previous`` is the last map's labels, for stable group colours."""
    if question.kind != QuestionKind.STATEMENTS:
        raise ValueError("only a statements question has an opinion map")
    statements = list(question.options.order_by("position", "id").values_list("pk", "moderation"))
    return opinion_map(
        question_votes(question),
        statements=[pk for pk, _moderation in statements],
        hidden=[pk for pk, moderation in statements if moderation == Moderation.HIDDEN],
        previous=previous,
    )
