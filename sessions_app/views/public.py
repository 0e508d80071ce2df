"""Public pages: no account needed."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from sessions_app import privacy as privacy_statement
from sessions_app import selectors
from sessions_app.exports import data
from sessions_app.exports.lines import result_lines
from sessions_app.models import Level, Process, ProcessState, QuestionState, Role, StaffRole
from sessions_app.models.choices import LEVEL_EXPLANATIONS

from .common import use_process_language

#: How the log names a staff account (``services.log.actor_for``): ``staff:<username>``.
STAFF_PREFIX = "staff:"
#: When someone holds several roles on a process, the public log names the first of these.
ROLE_ORDER = [Role.ORGANISER, Role.FACILITATOR, Role.TELLER, Role.REVIEWER]


def index(request):
    return render(request, "public/index.html", {"processes": selectors.public_processes()})


def privacy(request):
    """The privacy statement (AVG/GDPR) of this installation, from its settings."""
    return render(request, "public/privacy.html", privacy_statement.statement_context())


def process_page(request, slug):
    process = get_object_or_404(Process.objects.exclude(state=ProcessState.DRAFT), slug=slug)
    use_process_language(request, process)
    context = {
        "process": process,
        "agenda": selectors.process_agenda(process=process),
        "milestones": process.milestones.all(),
        "level_explanation": LEVEL_EXPLANATIONS.get(process.level),
        "levels": Level.choices,
        "follow_ups": selectors.process_follow_ups(process=process),
        "results": _published_results(process),
    }
    return render(request, "public/process.html", context)


def _published_results(process: Process) -> list[dict]:
    """The results of the questions whose results were shown or that are closed, each
    with its lines (option or value, counts by source, percent)."""
    questions = [
        q
        for q in data.questions_of(process)
        if q.results_revealed or q.state == QuestionState.CLOSED
    ]
    return [
        {
            "question": question,
            "result": result,
            "lines": [
                {"name": name, "counts": counts, "percent": percent, "note": note}
                for name, counts, percent, note in result_lines(
                    data.question_part(question), result
                )
            ],
        }
        for question, result in zip(questions, data.results_part(questions), strict=True)
    ]


def process_log(request, slug):
    """The transparency log, for anyone: every entry's time, actor (staff by their role on
    the process, not their name), action and hash, newest first, a page at a time, with the
    chain head to compare an export against."""
    process = get_object_or_404(Process.objects.exclude(state=ProcessState.DRAFT), slug=slug)
    use_process_language(request, process)
    page = Paginator(selectors.process_log(process=process).order_by("-seq"), 100).get_page(
        request.GET.get("page")
    )
    page.object_list = list(page.object_list)  # the rows the template shows, annotated
    _name_staff_by_role(process, page.object_list)
    return render(request, "public/log.html", {"process": process, "page": page})


def _name_staff_by_role(process: Process, entries) -> None:
    """Give each entry a ``staff_role`` for the public page: for a ``staff:<username>``
    actor, that account's role on ``process`` now (``"staff"`` without one, for example
    when it was revoked), else ``""``. The public page shows roles, never user names; the
    stored actor (which the hash covers) is left as it is. One query for the page."""
    usernames = {
        entry.actor.removeprefix(STAFF_PREFIX)
        for entry in entries
        if entry.actor.startswith(STAFF_PREFIX)
    }
    roles: dict[str, str] = {}
    held = StaffRole.objects.filter(process=process, user__username__in=usernames).values_list(
        "user__username", "role"
    )
    for username, role in sorted(held, key=lambda row: ROLE_ORDER.index(row[1])):
        roles.setdefault(username, role)
    for entry in entries:
        if entry.actor.startswith(STAFF_PREFIX):
            entry.staff_role = roles.get(entry.actor.removeprefix(STAFF_PREFIX), "staff")
        else:
            entry.staff_role = ""
