"""Results: the one read function behind every screen and file.

``question_results`` gives, for one question, the totals and the split by source: online
in the room, online remote, paper and hands. The presenter, the facilitator's console, the
phones and (later) the XLSX, PDF, JSON and CSV exports all read it, so their numbers agree.
Only counting answers count (superseded, rejected, voided and held ones do not).
"""

from __future__ import annotations

from statistics import median
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from .bulk import rows_at_once
from .models import (
    HandCount,
    JoinedVia,
    LiveSession,
    Moderation,
    PanelAnswer,
    PanelAnswerMode,
    Question,
    QuestionKind,
    Response,
    ResponseItem,
    ResponseStatus,
    SessionState,
    Source,
)

K = QuestionKind
SOURCES = ("room", "remote", "paper", "hands")
VOTE_KEYS = {1: "agree", -1: "disagree", 0: "pass"}


def split() -> dict[str, int]:
    return dict.fromkeys((*SOURCES, "total"), 0)


def channel(source: str, joined_via: str | None) -> str:
    """Where an answer came from: ``room``, ``remote`` or ``paper``."""
    if source == Source.PAPER:
        return "paper"
    return "room" if joined_via == JoinedVia.ROOM else "remote"


def _add(counts: dict, key: str, n: int) -> None:
    counts[key] += n
    counts["total"] += n


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _counted(question: Question):
    return Response.objects.filter(question=question, status=ResponseStatus.COUNTED)


def _respondents(question: Question, *, distinct_participants: bool = False) -> dict[str, int]:
    counts = split()
    aggregate = Count("participant", distinct=True) if distinct_participants else Count("id")
    rows = _counted(question).values("source", "participant__joined_via").annotate(n=aggregate)
    for row in rows:
        _add(counts, channel(row["source"], row["participant__joined_via"]), row["n"])
    return counts


def latest_hand_counts(question: Question) -> dict[tuple[str, int], int]:
    """The hand counts that stand, per option (``("option", id)``) or scale value
    (``("value", v)``): a correction replaces the count it corrects (even if it moved the
    count to another option), and of the rest the latest per option counts."""
    rows = list(
        HandCount.objects.filter(question=question)
        .order_by("-id")
        .values_list("pk", "option_id", "scale_value", "count", "replaces_id")
    )
    replaced = {replaces for *_rest, replaces in rows if replaces is not None}
    latest: dict[tuple[str, int], int] = {}
    for pk, option_id, value, count, _replaces in rows:
        if pk in replaced:
            continue
        key = ("option", option_id) if option_id is not None else ("value", value)
        latest.setdefault(key, count)
    return latest


def _item_rows(question: Question, *extra_values, aggregate):
    return (
        ResponseItem.objects.filter(
            response__question=question, response__status=ResponseStatus.COUNTED
        )
        .values("option_id", "response__source", "response__participant__joined_via", *extra_values)
        .annotate(n=aggregate)
    )


def _choice(question: Question, options, base: dict) -> dict:
    counts = {option.pk: split() for option in options}
    for row in _item_rows(question, aggregate=Count("id")):
        if row["option_id"] in counts:
            _add(
                counts[row["option_id"]],
                channel(row["response__source"], row["response__participant__joined_via"]),
                row["n"],
            )
    hands = latest_hand_counts(question)
    hand_total = 0
    for option in options:
        n = hands.get(("option", option.pk), 0)
        _add(counts[option.pk], "hands", n)
        hand_total = hand_total + n if question.kind == K.SINGLE_CHOICE else max(hand_total, n)
    respondents = base["respondents"]
    _add(respondents, "hands", hand_total)
    base["options"] = [
        {
            "id": option.pk,
            "text": option.text,
            "counts": counts[option.pk],
            "percent": _percent(counts[option.pk]["total"], respondents["total"]),
        }
        for option in options
    ]
    return base


def _scale(question: Question, base: dict) -> dict:
    values = list(range(question.scale_min, question.scale_max + 1))
    counts = {value: split() for value in values}
    rows = (
        _counted(question)
        .values("number", "source", "participant__joined_via")
        .annotate(n=Count("id"))
    )
    for row in rows:
        if row["number"] in counts:
            _add(
                counts[row["number"]],
                channel(row["source"], row["participant__joined_via"]),
                row["n"],
            )
    hands = latest_hand_counts(question)
    for value in values:
        n = hands.get(("value", value), 0)
        _add(counts[value], "hands", n)
        _add(base["respondents"], "hands", n)
    weights = [(value, counts[value]["total"]) for value in values]
    n = sum(weight for _, weight in weights)
    base["distribution"] = [{"value": value, "counts": counts[value]} for value in values]
    base["mean"] = round(sum(value * weight for value, weight in weights) / n, 2) if n else None
    # Always a float (4.0, 4.5): ``median`` gives an int for an odd count, and the open
    # data keeps one JSON type per field (``docs/export-format.md``).
    base["median"] = float(median(v for v, w in weights for _ in range(w))) if n else None
    return base


def _ranking(question: Question, options, base: dict) -> dict:
    size = len(options)
    stats = {
        option.pk: {"borda": split(), "rank_sum": 0, "ranked_by": 0, "first": 0}
        for option in options
    }
    for row in _item_rows(question, "value", aggregate=Count("id")):
        entry = stats.get(row["option_id"])
        if entry is None:
            continue
        rank, n = row["value"], row["n"]
        _add(
            entry["borda"],
            channel(row["response__source"], row["response__participant__joined_via"]),
            (size - rank + 1) * n,
        )
        entry["rank_sum"] += rank * n
        entry["ranked_by"] += n
        entry["first"] += n if rank == 1 else 0
    base["options"] = [
        {
            "id": option.pk,
            "text": option.text,
            "borda": stats[option.pk]["borda"],
            "mean_rank": round(stats[option.pk]["rank_sum"] / stats[option.pk]["ranked_by"], 2)
            if stats[option.pk]["ranked_by"]
            else None,
            "ranked_by": stats[option.pk]["ranked_by"],
            "first_choices": stats[option.pk]["first"],
        }
        for option in options
    ]
    return base


def _budget(question: Question, options, base: dict) -> dict:
    sums = {option.pk: split() for option in options}
    for row in _item_rows(question, aggregate=Sum("value")):
        if row["option_id"] in sums:
            _add(
                sums[row["option_id"]],
                channel(row["response__source"], row["response__participant__joined_via"]),
                row["n"],
            )
    respondents = base["respondents"]

    def average(points: dict, key: str) -> float | None:
        return round(points[key] / respondents[key], 2) if respondents[key] else None

    base["total_points"] = question.budget_total
    base["options"] = [
        {
            "id": option.pk,
            "text": option.text,
            "points": sums[option.pk],
            "average": average(sums[option.pk], "total"),
            "average_by_source": {
                key: average(sums[option.pk], key) for key in ("room", "remote", "paper")
            },
        }
        for option in options
    ]
    return base


def _open_text(question: Question, base: dict) -> dict:
    moderation = dict(_counted(question).values_list("moderation").annotate(n=Count("id")))
    base["pending"] = moderation.get(Moderation.PENDING, 0)
    base["hidden"] = moderation.get(Moderation.HIDDEN, 0)
    # An erased text (``services.texts.erase``) is empty: it still counts, and shows as
    # erased.
    base["approved"] = [
        {"id": pk, "text": text}
        for pk, text in _counted(question)
        .filter(moderation=Moderation.APPROVED)
        .order_by("moderated_at", "id")
        .values_list("pk", "text")
    ]
    return base


def _statements(question: Question, statements, base: dict) -> dict:
    votes = {option.pk: {key: split() for key in VOTE_KEYS.values()} for option in statements}
    rows = rows_at_once(
        _counted(question)
        .filter(statement__isnull=False)
        .values("statement_id", "number", "source", "participant__joined_via")
        .annotate(n=Count("id"))
    )
    for statement_id, number, source, joined_via, n in rows:
        entry = votes.get(statement_id)
        if entry is not None and number in VOTE_KEYS:
            _add(entry[VOTE_KEYS[number]], channel(source, joined_via), n)
    base["statements"] = [
        {
            "id": option.pk,
            "text": option.text,
            "origin": option.origin,
            **votes[option.pk],
            "votes": sum(votes[option.pk][key]["total"] for key in VOTE_KEYS.values()),
        }
        for option in statements
    ]
    return base


def local_time(moment):
    """ISO 8601 in the process's time zone, as every time of the results and of the open
    data (``exports.data``, ``design.format_datetime``); None stays None (``ZoneInfo``
    caches its zones: this runs for every time of every row)."""
    return None if moment is None else moment.astimezone(ZoneInfo(settings.TIME_ZONE)).isoformat()


def _panel_answer(answer: PanelAnswer | None, today) -> dict | None:
    if answer is None:
        return None
    return {
        "mode": answer.mode,
        "text": answer.text,
        "due": answer.due.isoformat() if answer.due else None,
        "overdue": answer.mode == PanelAnswerMode.IN_WRITING and answer.due < today,
        "recorded_at": local_time(answer.created_at),
    }


def panel_answered(answer: dict | None) -> bool:
    """Whether a question asked to the panel has its answer (``_panel_answer``): a
    written answer only promised, by its due date, is not one yet."""
    return bool(answer) and answer["mode"] != PanelAnswerMode.IN_WRITING


def _qna(question: Question, options, base: dict) -> dict:
    """A Q&A round: each shown asked question with its upvotes split by source (a person
    who upvoted two merged questions counts once), the hands counted for a paper
    question, the approved texts merged into it and the panel's answer; most votes
    first."""
    everything = list(question.options.all())
    shown = [o for o in options if o.merged_into_id is None]
    merged: dict[int, list] = {o.pk: [] for o in shown}
    for option in everything:
        if option.merged_into_id in merged and option.moderation == Moderation.APPROVED:
            merged[option.merged_into_id].append(option)
    votes = {o.pk: split() for o in shown}
    voters = split()
    upvotes = _counted(question).filter(statement__isnull=False, number=1)
    if any(option.merged_into_id for option in everything):
        rows = (
            upvotes.annotate(root=Coalesce("statement__merged_into_id", "statement_id"))
            .values("source", "participant__joined_via", "root")
            .annotate(n=Count("participant", distinct=True))
        )
    else:
        # Nothing merged: a person counts once per question by a constraint
        # (``response_one_counting_per_statement``), so plain counts will do, without
        # the join to the questions or the distinct count (the hottest query of a round).
        rows = upvotes.values("source", "participant__joined_via", root=F("statement_id")).annotate(
            n=Count("id")
        )
    for source, joined_via, root, n in rows_at_once(rows):
        if root in votes:
            _add(votes[root], channel(source, joined_via), n)
    for row in (
        _counted(question)
        .filter(statement__isnull=False, number=1)
        .values("source", "participant__joined_via")
        .annotate(n=Count("participant", distinct=True))
    ):
        _add(voters, channel(row["source"], row["participant__joined_via"]), row["n"])
    # Hands count for the question shown (a duplicate's for the one it was merged into).
    roots = {o.pk: o.merged_into_id or o.pk for o in everything}
    for (target, key), n in latest_hand_counts(question).items():
        root = roots.get(key) if target == "option" else None
        if root in votes:
            _add(votes[root], "hands", n)
    answers: dict[int, PanelAnswer] = {}
    for answer in PanelAnswer.objects.filter(asked__question=question).order_by("id"):
        answers[answer.asked_id] = answer
    today = timezone.localdate()
    members = {m.pk: m for m in question.panel.all()}

    def member(option):
        found = members.get(option.panel_member_id)
        if option.panel_member_id is None:
            return None
        if found is None:
            return {"id": option.panel_member_id, "name": "", "role": ""}
        return {"id": found.pk, "name": found.name, "role": found.role}

    listed = sorted(shown, key=lambda o: (-votes[o.pk]["total"], o.created_at, o.pk))
    base["respondents"] = voters
    base["upvotes"] = question.qna_upvotes
    base["pinned"] = question.pinned_id
    base["pending"] = sum(
        1 for o in everything if o.moderation == Moderation.PENDING and o.merged_into_id is None
    )
    base["hidden"] = sum(1 for o in everything if o.moderation == Moderation.HIDDEN)
    base["asked"] = [
        {
            "id": option.pk,
            "text": option.text,
            "name": option.display_name,
            "panel_member": member(option),
            "source": "paper" if option.sheet_id else "online",
            "asked_at": local_time(option.created_at),
            "votes": votes[option.pk],
            "merged": [
                {"id": m.pk, "text": m.text, "name": m.display_name} for m in merged[option.pk]
            ],
            "answer": _panel_answer(answers.get(option.pk), today),
            "pinned": option.pk == question.pinned_id,
        }
        for option in listed
    ]
    return base


def paper_provisional(session: LiveSession) -> bool:
    """Results stay provisional while paper forms of the session may still be entered."""
    return session.paper_closed_at is None and session.sheets.exists()


def results_final(session_state: str, provisional: bool) -> bool:
    """Whether results are final, as the council's report, its workbook and the public
    page say: their session has ended and its paper forms are all in (``provisional``:
    ``paper_provisional``). Until then answers may still come, from phones or paper."""
    return session_state == SessionState.ENDED and not provisional


def question_results(
    *, question: Question, session: LiveSession | None = None, provisional: bool | None = None
) -> dict:
    """Totals and the split by source for one question, as plain JSON-ready data.
    ``provisional`` may be passed in when results of many questions are read at once."""
    session = session or question.session
    if provisional is None:
        provisional = paper_provisional(session)
    options = [o for o in question.options.all() if o.moderation == Moderation.APPROVED]
    base = {
        "question": question.pk,
        "kind": question.kind,
        "state": question.state,
        "revealed": question.results_revealed,
        "provisional": provisional,
        # (A Q&A round counts the people who upvoted in ``_qna``, from its own query.)
        "respondents": None
        if question.kind == K.QNA
        else _respondents(question, distinct_participants=question.kind == K.STATEMENTS),
    }
    if question.kind in (K.SINGLE_CHOICE, K.MULTIPLE_CHOICE):
        return _choice(question, options, base)
    if question.kind == K.SCALE:
        return _scale(question, base)
    if question.kind == K.RANKING:
        return _ranking(question, options, base)
    if question.kind == K.BUDGET:
        return _budget(question, options, base)
    if question.kind == K.OPEN_TEXT:
        return _open_text(question, base)
    if question.kind == K.QNA:
        return _qna(question, options, base)
    base["pending"] = sum(1 for o in question.options.all() if o.moderation == Moderation.PENDING)
    return _statements(question, options, base)
