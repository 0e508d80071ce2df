"""The learning page's rows: an organiser's sessions side by side, for comparing what
worked. One row per session that was held (ended, live, or with counted answers), newest
first, at most ``SESSIONS_MAX``. Counts only: no personal data.

The evaluation's scores are read from the evaluation questions in agenda order, as the
template makes them: the first scale question ("how clear was it what will be done with
the input"), the second ("did you feel heard"), and the last single-choice question ("would
you come again"), whose first option ("yes") is given as a percentage.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from . import results as results_module
from .models import HandCount, LiveSession, QuestionKind, Response, SessionState
from .selectors import session_days, session_participation

SESSIONS_MAX = 200

#: The CSV's columns (stable keys) and the page's headings.
LEARNING_COLUMNS = [
    ("process", _("process")),
    ("session", _("session")),
    ("date", _("date")),
    ("mode", _("format")),
    ("questions", _("questions")),
    ("kinds", _("question kinds")),
    ("people", _("people (phones and paper)")),
    ("room", _("phones in the room")),
    ("remote", _("phones from elsewhere")),
    ("paper", _("paper forms")),
    ("hands", _("hands (largest count)")),
    ("paper_share", _("paper share (%)")),
    ("remote_share", _("remote share (%)")),
    ("qna", _("questions to the panel asked")),
    ("evaluation_respondents", _("evaluation: respondents")),
    ("clear", _("evaluation: clear what happens with the input (mean)")),
    ("heard", _("evaluation: felt heard (mean)")),
    ("again", _("evaluation: would come again (% yes)")),
    # Added later: last, so that a script reading the columns by position reads on.
    ("held_on", _("held on")),
]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _evaluation(session: LiveSession) -> dict:
    questions = list(
        session.questions.filter(evaluation=True)
        .order_by("position", "id")
        .prefetch_related("options")
    )
    found = {"evaluation_respondents": 0, "clear": None, "heard": None, "again": None}
    scales = []
    last_choice = None
    for question in questions:
        result = results_module.question_results(question=question, session=session)
        found["evaluation_respondents"] = max(
            found["evaluation_respondents"], result["respondents"]["total"]
        )
        if question.kind == QuestionKind.SCALE:
            scales.append(result.get("mean"))
        elif question.kind == QuestionKind.SINGLE_CHOICE:
            last_choice = result
    if scales:
        found["clear"] = scales[0]
    if len(scales) > 1:
        found["heard"] = scales[1]
    if last_choice and last_choice["options"]:
        found["again"] = last_choice["options"][0]["percent"]
    return found


def _hands(session: LiveSession) -> int:
    """The largest show of hands on one question, as the session report counts it."""
    counted = session.questions.filter(
        pk__in=HandCount.objects.filter(question__session=session).values("question")
    ).prefetch_related("options")
    return max(
        (
            results_module.question_results(question=q, session=session)["respondents"]["hands"]
            for q in counted
        ),
        default=0,
    )


def learning_rows(processes) -> list[dict]:
    sessions = list(
        LiveSession.objects.filter(process__in=processes)
        .filter(
            Q(state__in=[SessionState.LIVE, SessionState.ENDED])
            | Q(pk__in=Response.objects.values("question__session"))
        )
        .select_related("process")
        .annotate(question_count=Count("questions", filter=Q(questions__evaluation=False)))
        .order_by("-starts_at", "-id")[:SESSIONS_MAX]
    )
    days = session_days(sessions=sessions)
    rows = []
    for session in sessions:
        day = days[session.pk]
        counts = {**session_participation(session=session), "hands": 0}
        counts["hands"] = _hands(session)
        people = counts["room"] + counts["remote"] + counts["paper"]
        kinds = sorted(
            set(session.questions.filter(evaluation=False).values_list("kind", flat=True))
        )
        asked = session.questions.filter(kind=QuestionKind.QNA).aggregate(
            n=Count("options", filter=Q(options__origin="participant"))
        )["n"]
        rows.append(
            {
                "process": session.process.title,
                "process_slug": session.process.slug,
                "session": session.title,
                "session_id": session.pk,
                # The planned date, and the day it was held (``selectors.session_day``:
                # the same day when it was held as planned; None while it has not run).
                "date": day.planned.isoformat(),
                "held_on": day.held.isoformat() if day.held else None,
                "day": day,
                "mode": session.mode,
                "mode_label": session.get_mode_display(),
                "questions": session.question_count,
                "kinds": kinds,
                "kind_labels": [str(QuestionKind(kind).label) for kind in kinds],
                "people": people,
                **counts,
                "paper_share": _percent(counts["paper"], people),
                "remote_share": _percent(counts["remote"], people),
                "qna": asked or 0,
                **_evaluation(session),
            }
        )
    return rows
