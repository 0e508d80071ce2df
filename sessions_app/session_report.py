"""The session report: what an organiser learns from one session, after it.

One read function, ``session_report``, gives plain JSON-ready data; the report page, the
council report's section and the workbook's sheet all show it, so their numbers agree.
It holds no personal data: counts, the evaluation's results and (for the staff page only)
the facilitator's notes.

- ``session``: the session's times, and ``day``: the day it was planned for and the
  day it was held (``selectors.SessionDay``), which its page says.
- ``turnout``: people by source (``selectors.participation``): phones in the room and
  remote are distinct participants with a counted answer; paper is distinct counted
  forms; hands is the largest show of hands on one question (hands have no identity). ``people`` adds phones and paper (not
  hands: a hand may belong to someone who also answered on a phone).
- ``shares``: paper against phones, and in the room (phones in the room, paper forms)
  against remote (phones elsewhere), as percentages of ``people``.
- ``questions``: per question on the agenda (not the evaluation's), its respondents by
  source and the drop-off: how many fewer answered it than the question before, and its
  respondents as a share of the first question's.
- ``per_minute``: answers from phones per minute, from the first question opened to the
  session's end (at most ``MINUTES_MAX`` minutes), with its peak and median. Paper is
  entered later and hands are typed, so neither has a moment in the session.
- ``moderation``: participants' statements and questions to the panel by moderation state,
  open answers hidden and answers held for review.
- ``evaluation``: the evaluation questions' results (``results.question_results``).
"""

from __future__ import annotations

from datetime import timedelta
from statistics import median

from django.db.models import Count, Max, Min
from django.db.models.functions import TruncMinute
from django.utils import timezone

from . import results as results_module
from .models import (
    HandCount,
    LiveSession,
    Moderation,
    Option,
    QuestionKind,
    Response,
    ResponseStatus,
    Source,
    StatementOrigin,
)
from .numbering import agenda_numbers
from .selectors import session_days, session_participation

#: The longest stretch of answers per minute a report shows (a whole day).
MINUTES_MAX = 24 * 60


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _hands(question_results: list[dict]) -> int:
    return max((r["respondents"].get("hands", 0) for r in question_results), default=0)


def _questions(pairs) -> list[dict]:
    rows, first, previous = [], None, None
    for number, question, result in pairs:
        counts = dict(result["respondents"])
        total = counts["total"]
        if first is None:
            first = total
        rows.append(
            {
                "number": number,
                "id": question.pk,
                "text": question.text,
                "kind": question.kind,
                "respondents": counts,
                "drop": None if previous is None else previous - total,
                "of_first": _percent(total, first),
            }
        )
        previous = total
    return rows


def per_minute(session: LiveSession) -> dict:
    """Phone answers per minute: ``{"start", "minutes": [{"at", "n"}], "peak", "median"}``."""
    span = session.questions.aggregate(start=Min("opened_at"))
    start = span["start"]
    if start is None:
        return {"start": None, "minutes": [], "peak": 0, "median": 0, "total": 0}
    end = session.ended_at or timezone.now()
    end = min(end, start + timedelta(minutes=MINUTES_MAX))
    rows = (
        Response.objects.filter(
            question__session=session,
            source=Source.ONLINE,
            created_at__gte=start,
            created_at__lte=end,
        )
        .exclude(status=ResponseStatus.REJECTED)
        .annotate(minute=TruncMinute("created_at"))
        .order_by()
        .values("minute")
        .annotate(n=Count("id"))
    )
    found = {row["minute"]: row["n"] for row in rows}
    first = start.replace(second=0, microsecond=0)
    last = max([end.replace(second=0, microsecond=0), *found]) if found else first
    minutes = []
    moment = first
    while moment <= last and len(minutes) < MINUTES_MAX:
        minutes.append({"at": moment, "n": found.get(moment, 0)})
        moment += timedelta(minutes=1)
    counts = [m["n"] for m in minutes]
    return {
        "start": first,
        "minutes": minutes,
        "peak": max(counts, default=0),
        "median": median(counts) if counts else 0,
        "total": sum(counts),
    }


def moderation(session: LiveSession) -> dict[str, int]:
    proposed = (
        Option.objects.filter(question__session=session, origin=StatementOrigin.PARTICIPANT)
        .order_by()
        .values("question__kind", "moderation")
        .annotate(n=Count("id"))
    )
    found = {
        "statements_approved": 0,
        "statements_pending": 0,
        "statements_hidden": 0,
        "qna_approved": 0,
        "qna_pending": 0,
        "qna_hidden": 0,
        "qna_merged": Option.objects.filter(
            question__session=session, merged_into__isnull=False
        ).count(),
    }
    for row in proposed:
        prefix = "qna" if row["question__kind"] == QuestionKind.QNA else "statements"
        key = f"{prefix}_{row['moderation']}"
        if key in found:
            found[key] += row["n"]
    responses = Response.objects.filter(question__session=session)
    found["answers_hidden"] = responses.filter(moderation=Moderation.HIDDEN).count()
    found["answers_held"] = responses.filter(status=ResponseStatus.HELD).count()
    return found


def session_report(session: LiveSession, *, notes: bool = False) -> dict:
    """The report of one session (see the module's description). ``notes``: with the
    facilitator's notes, for the staff's page only."""
    questions = list(
        session.questions.order_by("position", "id").prefetch_related("options", "panel")
    )
    provisional = results_module.paper_provisional(session)
    # Numbered as on the session's paper form: a Q&A round has no number (None).
    numbers = agenda_numbers(questions)
    numbered = []
    for question in questions:
        result = results_module.question_results(
            question=question, session=session, provisional=provisional
        )
        numbered.append((numbers.get(question.pk), question, result))
    agenda = [row for row in numbered if not row[1].evaluation and row[1].kind != QuestionKind.QNA]
    counts = {**session_participation(session=session), "hands": 0}
    counts["hands"] = _hands([r for _n, _q, r in numbered])
    phones = counts["room"] + counts["remote"]
    people = phones + counts["paper"]
    opened = session.questions.aggregate(first=Min("opened_at"), last=Max("closed_at"))
    report = {
        "session": {
            "id": session.pk,
            "title": session.title,
            "starts_at": session.starts_at,
            "ended_at": session.ended_at,
            "state": session.state,
            "mode": session.mode,
            "first_opened": opened["first"],
            # The day planned and the day held (``selectors.session_day``).
            "day": session_days(sessions=[session])[session.pk],
        },
        "provisional": provisional,
        "turnout": {**counts, "phones": phones, "people": people},
        "shares": {
            "room": _percent(counts["room"], people),
            "phones": _percent(phones, people),
            "paper": _percent(counts["paper"], people),
            "in_room": _percent(counts["room"] + counts["paper"], people),
            "remote": _percent(counts["remote"], people),
        },
        "questions": _questions(agenda),
        "qna": [
            {"number": n, "id": q.pk, "text": q.text, "asked": len(r.get("asked", []))}
            for n, q, r in numbered
            if q.kind == QuestionKind.QNA
        ],
        "per_minute": per_minute(session),
        "moderation": moderation(session),
        "hand_counts": HandCount.objects.filter(question__session=session).count(),
        "evaluation": [
            {"number": n, "id": q.pk, "text": q.text, "kind": q.kind, "result": r}
            for n, q, r in numbered
            if q.evaluation
        ],
    }
    if notes:
        report["notes"] = [
            {"at": note.created_at, "text": note.text, "author": note.author_id}
            for note in session.notes.all()
        ]
    return report


def evaluation_summary(report: dict) -> dict:
    """The evaluation in a few numbers, for comparing sessions: per scale question its
    mean, per choice question its most chosen option, and the respondents."""
    scores = []
    for item in report["evaluation"]:
        result = item["result"]
        if item["kind"] == QuestionKind.SCALE:
            scores.append({"text": item["text"], "mean": result.get("mean")})
    respondents = max(
        (i["result"]["respondents"]["total"] for i in report["evaluation"]), default=0
    )
    return {"scores": scores, "respondents": respondents}
