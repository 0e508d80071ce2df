"""Show of hands: the facilitator types how many hands went up per option (or scale
value). Checked here; stored, logged and announced by ``counting``."""

from __future__ import annotations

from sessions_app import permissions
from sessions_app.exceptions import InputRejected
from sessions_app.models import (
    HandCount,
    Moderation,
    ProcessState,
    Question,
    QuestionKind,
    QuestionState,
    SessionMode,
    SessionState,
)

from . import counting

#: The kinds a room can answer by raising hands.
HAND_KINDS = {
    QuestionKind.SINGLE_CHOICE,
    QuestionKind.MULTIPLE_CHOICE,
    QuestionKind.SCALE,
    # Hands stand in for upvotes of a question asked on paper.
    QuestionKind.QNA,
}
MAX_HANDS = 100_000


def hand_count_record(
    *, user, question: Question, counts: dict, client_id: str = ""
) -> list[HandCount]:
    """Record counted hands per option (or scale value). A changed count is a new row that
    replaces the latest one; unchanged counts add nothing. Raises ``AccessDenied`` and
    ``InputRejected`` with ``hands_not_for_kind``, ``invalid_option``, ``hands_invalid`` (a
    count that is not a whole number from 0 to ``MAX_HANDS``, or no count at all)."""
    session = question.session
    permissions.require(user, session.process, "facilitate")
    if session.state == SessionState.ENDED or session.process.state == ProcessState.CLOSED:
        raise InputRejected("session_ended")
    if question.kind not in HAND_KINDS:
        raise InputRejected("hands_not_for_kind")
    if not isinstance(counts, dict) or not counts:  # no count at all
        raise InputRejected("hands_invalid")
    if question.kind == QuestionKind.SCALE:
        valid = set(question.scale_values)
        field = "scale_value"
    elif question.kind == QuestionKind.QNA:
        valid = set(
            question.options.filter(
                moderation=Moderation.APPROVED, merged_into__isnull=True, sheet__isnull=False
            ).values_list("pk", flat=True)
        )
        field = "option_id"
    else:
        valid = set(
            question.options.filter(moderation=Moderation.APPROVED).values_list("pk", flat=True)
        )
        field = "option_id"
    wanted = {}
    for key, value in counts.items():
        try:
            target = int(key)
        except (TypeError, ValueError):
            raise InputRejected("invalid_option") from None
        if target not in valid:
            raise InputRejected("invalid_option")
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):
            raise InputRejected("hands_invalid") from None
        whole = not isinstance(value, bool) and not (
            isinstance(value, float) and not value.is_integer()
        )
        if not whole or not 0 <= number <= MAX_HANDS:
            raise InputRejected("hands_invalid")
        wanted[target] = number
    if client_id and HandCount.objects.filter(entered_by=user, client_id=client_id).exists():
        return []
    return counting.hands_count(
        question=question, counts=wanted, field=field, user=user, client_id=client_id
    )


def hands_rule_applies(question: Question, *, mode: str, hands: int) -> bool:
    """Whether screens should state the rule of a show of hands ("only those who did not
    vote on a phone or on paper") for ``question``: it has counted hands, or it is open
    for a room that could raise them. Otherwise people who voted raise a hand too and
    count twice."""
    if question.kind not in HAND_KINDS:
        return False
    return hands > 0 or (question.state == QuestionState.OPEN and mode != SessionMode.ONLINE)
