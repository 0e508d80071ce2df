"""Learning from sessions: the session evaluation (added from a template), the
facilitator's private notes, the session report, and the learning page that compares the
organiser's sessions side by side (also as CSV). No personal data on any of them."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sessions_app import permissions, writer
from sessions_app.exceptions import AccessDenied, DesignError, InputRejected
from sessions_app.learning import LEARNING_COLUMNS, learning_rows
from sessions_app.models import LiveSession, Role
from sessions_app.services import evaluation, notes
from sessions_app.session_report import session_report

from .common import staff_process


def _session(process, session_id: int) -> LiveSession:
    return get_object_or_404(LiveSession, pk=session_id, process=process)


@login_required
@require_POST
def evaluation_add(request, slug: str, session_id: int):
    """Add the evaluation template's questions at the end of a session's agenda."""
    process = staff_process(request, slug, "design")
    session = _session(process, session_id)
    try:
        evaluation.evaluation_add(user=request.user, session=session)
    except (InputRejected, DesignError) as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "The evaluation questions are at the end of the agenda. Change them as you "
                "like; their answers stay apart from the process's results."
            ),
        )
    return redirect(reverse("designer:process_detail", args=[slug]) + f"#session-{session.pk}")


@login_required
@require_POST
def note_add(request, slug: str, session_id: int):
    """A facilitator's note, typed in the console (a plain form)."""
    process = staff_process(request, slug, "facilitate")
    session = _session(process, session_id)
    try:
        writer.call(
            notes.note_add, user=request.user, session=session, text=request.POST.get("text")
        )
    except (InputRejected, AccessDenied) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your note is saved. Only the process's staff can read it."))
    return redirect(reverse("live:console", args=[slug, session.pk]) + "#notes")


@login_required
def report(request, slug: str, session_id: int):
    """The session report: turnout by source and per question with the drop-off, paper
    against phones, answers per minute, moderation, the evaluation and the notes."""
    process = staff_process(request, slug, "view")
    session = _session(process, session_id)
    found = session_report(session, notes=True)
    for question in found["questions"]:
        question["more"] = -question["drop"] if question["drop"] and question["drop"] < 0 else 0
    minutes = found["per_minute"]["minutes"]
    peak = found["per_minute"]["peak"] or 1
    for index, minute in enumerate(minutes):
        minute["height"] = round(100 * minute["n"] / peak)
        minute["x"], minute["y"] = index * 10, 100 - minute["height"]
    context = {
        "process": process,
        "session": session,
        "report": found,
        "chart_width": max(len(minutes), 1) * 10,
        "notes": notes.session_notes(session=session),
        "can_facilitate": permissions.has_capability(request.user, process, "facilitate"),
    }
    return render(request, "designer/session_report.html", context)


def _processes(user):
    """The processes the user organises (or facilitates): theirs to learn from."""
    from sessions_app.models import Process

    return (
        Process.objects.filter(
            staff_roles__user=user, staff_roles__role__in=[Role.ORGANISER, Role.FACILITATOR]
        )
        .distinct()
        .order_by("-created_at")
    )


@login_required
def learning(request):
    """The organiser's sessions side by side: turnout, sources, evaluation scores, and the
    formats and question kinds used."""
    # Each row's ``day`` is shown in words (10 april 2027), both days when the session was
    # held on another day than planned; the CSV keeps the ISO dates.
    rows = learning_rows(_processes(request.user))
    return render(request, "designer/learning.html", {"rows": rows})


@login_required
def learning_csv(request):
    rows = learning_rows(_processes(request.user))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="inspraak-sessions-{stamp}.csv"'
    # A byte order mark, so that Excel reads the file as UTF-8.
    response.write("\ufeff")
    writer_ = csv.writer(response)
    writer_.writerow([key for key, _label in LEARNING_COLUMNS])
    for row in rows:
        writer_.writerow([_cell(row[key]) for key, _label in LEARNING_COLUMNS])
    return response


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return value
