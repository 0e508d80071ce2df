"""Show of hands: the facilitator types how many hands went up per option (or scale
value). Checked here; stored, logged and announced by ``counting``.

Besides the hard limits (a whole number from 0 to ``MAX_HANDS``), a show of hands far
beyond what the room has shown is recorded only when confirmed (``hands_unlikely``): a
typo such as 1500 for 15 would otherwise go straight into the council's count. See
``hands_unlikely``."""

from __future__ import annotations

from sessions_app import permissions
from sessions_app.exceptions import InputRejected
from sessions_app.models import (
    HandCount,
    JoinedVia,
    LiveSession,
    Moderation,
    ProcessState,
    Question,
    QuestionKind,
    QuestionState,
    SessionMode,
    SessionState,
    SheetState,
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
#: A show of hands is *unlikely*, and recorded only when confirmed, when its typed total
#: is at least ``UNLIKELY_FLOOR``, more than ``UNLIKELY_FACTOR`` times the people the
#: room has shown (the phones that joined the session, in the room and remote, plus the
#: paper forms entered), and more than ``UNLIKELY_HANDS_FACTOR`` times the largest show
#: of hands already recorded for another question of the session (``hands_room``): in
#: a hall counted by hands alone the first large count is confirmed, later questions
#: within twice it are not asked about, and a typo ten times too large still is.
UNLIKELY_FACTOR = 10
UNLIKELY_HANDS_FACTOR = 2
UNLIKELY_FLOOR = 200
#: The paper forms that count as entered: typed or read at least once, not voided.
ENTERED_SHEETS = (SheetState.ENTERED, SheetState.VERIFIED, SheetState.CONFLICT, SheetState.COUNTED)


def hands_room(session: LiveSession, *, besides: Question | None = None) -> dict[str, int]:
    """What the room has shown of its size: ``phones``, the participants who joined
    ``session`` by phone (in the room and remote); ``paper``, its paper forms entered
    (``ENTERED_SHEETS``); and ``hands``, the largest show of hands standing for a
    question of the session other than ``besides`` (the total of its latest counts; in
    a Q&A round, where each question asked on paper is a show of its own, the largest
    of them)."""
    latest: dict[int, dict[tuple, int]] = {}
    rounds: set[int] = set()
    rows = (
        HandCount.objects.filter(question__session=session)
        .exclude(question=besides)
        .order_by("id")
        .values_list("question_id", "question__kind", "option_id", "scale_value", "count")
    )
    for question_id, kind, option_id, scale_value, count in rows:
        latest.setdefault(question_id, {})[(option_id, scale_value)] = count
        if kind == QuestionKind.QNA:
            rounds.add(question_id)
    shows = [
        max(counts.values()) if question_id in rounds else sum(counts.values())
        for question_id, counts in latest.items()
    ]
    return {
        "phones": session.participants.filter(
            joined_via__in=[JoinedVia.ROOM, JoinedVia.REMOTE]
        ).count(),
        "paper": session.sheets.filter(state__in=ENTERED_SHEETS).count(),
        "hands": max(shows, default=0),
    }


def hands_unlikely(total: int, room: dict[str, int]) -> bool:
    """Whether ``total`` typed hands are far beyond the room's ``hands_room``: at least
    ``UNLIKELY_FLOOR``, more than ``UNLIKELY_FACTOR`` times its phones and paper forms
    together, and more than ``UNLIKELY_HANDS_FACTOR`` times its largest show of hands so
    far. Five phones, no paper, no hands yet: 200 hands or more are unlikely; 30 phones
    and 10 forms: more than 400; after 250 hands confirmed in a hall without phones: more
    than 500."""
    people = room["phones"] + room["paper"]
    return (
        total >= UNLIKELY_FLOOR
        and total > UNLIKELY_FACTOR * people
        and total > UNLIKELY_HANDS_FACTOR * room.get("hands", 0)
    )


def hand_count_record(
    *, user, question: Question, counts: dict, client_id: str = "", confirmed: bool = False
) -> list[HandCount]:
    """Record counted hands per option (or scale value). A changed count is a new row that
    replaces the latest one; unchanged counts add nothing. Raises ``AccessDenied`` and
    ``InputRejected`` with ``hands_not_for_kind``, ``invalid_option``, ``hands_invalid`` (a
    count that is not a whole number from 0 to ``MAX_HANDS``, or no count at all), and,
    unless ``confirmed``, ``hands_unlikely`` (``params``: ``total``, ``phones``,
    ``paper``): the counts add up to a total that ``hands_unlikely`` finds far beyond the
    room, and that is higher than the total standing now for the same options (so a
    correction downwards, or the same counts again, is never asked about)."""
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
    if not confirmed:
        _refuse_unlikely(question, wanted, field)
    return counting.hands_count(
        question=question, counts=wanted, field=field, user=user, client_id=client_id
    )


def _refuse_unlikely(question: Question, wanted: dict[int, int], field: str) -> None:
    total = sum(wanted.values())
    if total < UNLIKELY_FLOOR:
        return  # never unlikely: spare the queries
    standing: dict[int, int] = {}
    rows = HandCount.objects.filter(question=question).order_by("id").values_list(field, "count")
    for target, count in rows:
        standing[target] = count  # the latest per target, as ``counting.hands_count`` reads
    if total <= sum(standing.get(target, 0) for target in wanted):
        return
    room = hands_room(question.session, besides=question)
    if hands_unlikely(total, room):
        raise InputRejected(
            "hands_unlikely",
            params={"total": total, "phones": room["phones"], "paper": room["paper"]},
        )


def hands_rule_applies(question: Question, *, mode: str, hands: int) -> bool:
    """Whether screens should state the rule of a show of hands ("only those who did not
    vote on a phone or on paper") for ``question``: it has counted hands, or it is open
    for a room that could raise them. Otherwise people who voted raise a hand too and
    count twice."""
    if question.kind not in HAND_KINDS:
        return False
    return hands > 0 or (question.state == QuestionState.OPEN and mode != SessionMode.ONLINE)
