"""The dossier: the organiser's page to add documents and links and to record the
council's decision, the public download of a document (its SHA-256 is in the log and
beside the link), and the timeline as the public page shows it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.middleware import body_limit
from printables import registry
from printables.strings import follow_strings
from sessions_app import permissions
from sessions_app.exceptions import DesignError, InputRejected
from sessions_app.models import (
    DocumentKind,
    DossierDocument,
    MilestoneKind,
    Process,
    ProcessState,
    SessionState,
)
from sessions_app.selectors import dossier_shown, session_days
from sessions_app.services import dossier

from .common import absolute_url, staff_process


def dossier_items(process: Process) -> dict:
    """What the dossier shows now (``selectors.dossier_shown``, as the council report
    has it too): its documents and links, newest first, and the council's latest
    decision (or None)."""
    return dossier_shown(process=process)


def timeline_steps(process: Process, *, today=None) -> list[dict]:
    """The public timeline: the process's steps with their type, and its sessions as
    steps of type session (a session on a day that already has a step of type session is
    that step), in date order. Each says whether it is past, today or upcoming (``when``),
    and the first that is not past is ``current`` (the next step).

    A session step carries its ``day`` (``selectors.SessionDay``, read for every session
    in a fixed number of queries). A session held on another day than planned (``moved``)
    is placed on the day it was held, where it happened, and shows both days. A step of
    type session stands for the sessions planned on its day that were held then (or have
    not run), and for the sessions held on its day that were planned for another one (the
    organiser moved the step with its session); a step that stands for moved sessions
    only shows both days of the first of them. A step standing for none of these, whose
    day's sessions were all held on other days, moves with the first of them held on a
    day without such a step, and stands for it and for those held on that same day."""
    today = today or timezone.localdate()
    kinds = dict(MilestoneKind.choices)
    sessions = sorted(process.sessions.all(), key=lambda s: (s.starts_at, s.pk))
    days = session_days(sessions=sessions)
    planned_on: dict = {}
    held_on: dict = {}
    for session in sessions:
        day = days[session.pk]
        planned_on.setdefault(day.planned, []).append(session)
        if day.moved:
            held_on.setdefault(day.held, []).append(session)
    milestones = list(process.milestones.all())
    # Which sessions the steps of type session stand for; the day (both days) such a step
    # shows when it stands for moved sessions only, with whether they all ended; and the
    # day it is placed on when it is carried to the day its sessions were held.
    step_days = {m.date for m in milestones if m.kind == MilestoneKind.SESSION}
    standing_for, shown = set(), {}
    for on in step_days:
        as_planned = [s for s in planned_on.get(on, []) if not days[s.pk].moved]
        moved_here = held_on.get(on, [])
        standing_for |= {s.pk for s in as_planned + moved_here}
        if moved_here and not as_planned:
            shown[on] = (days[moved_here[0].pk], _all_ended(moved_here))
    for on in sorted(step_days - set(shown)):
        on_day = planned_on.get(on, [])
        if not on_day or any(not days[s.pk].moved for s in on_day):
            continue
        left = [s for s in on_day if s.pk not in standing_for]
        if not left:
            continue  # each was held on a day with a step of its own
        first = days[left[0].pk]
        with_it = [s for s in left if days[s.pk].held == first.held]
        shown[on] = (first, _all_ended(with_it))
        standing_for |= {s.pk for s in with_it}
    steps = []
    for m in milestones:
        is_session = m.kind == MilestoneKind.SESSION
        day, ended = shown.get(m.date, (None, False)) if is_session else (None, False)
        steps.append(
            {
                "date": day.held if day else m.date,
                "moment": None,
                "day": day,
                "label": m.label,
                "kind": m.kind,
                "kind_label": kinds.get(m.kind, m.kind),
                "order": (0, m.position, m.pk),
                "ended": ended,
            }
        )
    for session in sessions:
        if session.pk in standing_for:
            continue
        day = days[session.pk]
        steps.append(
            {
                "date": day.held if day.moved else day.planned,
                "moment": session.starts_at,
                "day": day,
                "label": session.title,
                "kind": MilestoneKind.SESSION,
                "kind_label": kinds[MilestoneKind.SESSION],
                # Within its day, by its planned time of day (a moved session keeps its
                # hours as far as the timeline knows).
                "order": (1, timezone.localtime(session.starts_at).time(), session.pk),
                # A session held early (or moved without its date) is past once it ended.
                "ended": session.state == SessionState.ENDED,
            }
        )
    steps.sort(key=lambda step: (step["date"], step["order"]))
    current = False
    for step in steps:
        step["when"] = (
            "past"
            if step["date"] < today or step["ended"]
            else "today"
            if step["date"] == today
            else "upcoming"
        )
        step["current"] = step["when"] != "past" and not current
        current = current or step["current"]
    return steps


def _all_ended(sessions) -> bool:
    return all(s.state == SessionState.ENDED for s in sessions)


#: The fields of each of the page's forms, kept as typed when the form is rejected.
FORM_FIELDS = {
    "document": ("title", "kind", "date", "summary", "alt_text"),
    "link": ("title", "url", "date", "summary"),
    "decision": ("date", "summary", "url"),
}
#: The field a rejected form's error concerns (by the error's code), to show it there.
ERROR_FIELDS = {
    "document": {
        "document_required": "file",
        "not_document": "file",
        "document_too_large": "file",
        "document_already_added": "file",
        "title_required": "title",
        "invalid_kind": "kind",
        "invalid_date": "date",
        "summary_required": "summary",
        "summary_too_long": "summary",
        "alt_text_required": "alt_text",
    },
    "link": {
        "title_required": "title",
        "invalid_url": "url",
        "invalid_date": "date",
        "summary_required": "summary",
        "summary_too_long": "summary",
    },
    "decision": {
        "invalid_date": "date",
        "decision_in_future": "date",
        "summary_required": "summary",
        "summary_too_long": "summary",
        "invalid_url": "url",
    },
}


@login_required
@body_limit(dossier.DOCUMENT_MAX_BYTES)
def dossier_page(request, slug: str):
    """Add a document (with its summary and, for an image, its alternative text) or a
    link, record the council's decision, or take an item out. Plain forms: a form that is
    accepted redirects to the page; one that is rejected shows the page again (status 400)
    with the error beside its field and what was typed."""
    process = staff_process(request, slug, "design")
    filled, errors, file_chosen = {}, {}, False
    if request.method == "POST":
        post = request.POST
        action = post.get("action")
        try:
            if action == "document":
                upload = request.FILES.get("file")
                file_chosen = upload is not None
                if upload is None:
                    raise InputRejected("document_required")
                if upload.size > dossier.DOCUMENT_MAX_BYTES:
                    raise InputRejected("document_too_large")
                dossier.document_add(
                    user=request.user,
                    process=process,
                    content=upload.read(),
                    title=post.get("title"),
                    kind=post.get("kind"),
                    day=post.get("date"),
                    summary=post.get("summary"),
                    alt_text=post.get("alt_text", ""),
                )
                messages.success(request, _("The document is in the dossier."))
            elif action == "link":
                dossier.link_add(
                    user=request.user,
                    process=process,
                    title=post.get("title"),
                    url=post.get("url"),
                    day=post.get("date"),
                    summary=post.get("summary"),
                )
                messages.success(request, _("The link is in the dossier."))
            elif action == "decision":
                dossier.decision_record(
                    user=request.user,
                    process=process,
                    date=post.get("date"),
                    summary=post.get("summary"),
                    url=post.get("url", ""),
                )
                messages.success(
                    request,
                    _(
                        "The council's decision is recorded: on the timeline, the public page and the feed."
                    ),
                )
            elif action == "remove":
                dossier.item_remove(
                    user=request.user,
                    process=process,
                    document_id=_int(post.get("document")),
                    link_id=_int(post.get("link")),
                )
                messages.success(request, _("Taken out of the dossier."))
            else:
                raise InputRejected("invalid_answer")
        except (InputRejected, DesignError) as error:
            message = error.message
            field = ERROR_FIELDS.get(action, {}).get(error.code)
            if field is None:
                messages.error(request, message)
            else:
                errors = {action: {field: message}}
            if action in FORM_FIELDS:
                filled = {action: {name: post.get(name, "") for name in FORM_FIELDS[action]}}
        else:
            return redirect("designer:dossier", slug=process.slug)
    context = {
        "process": process,
        "kinds": DocumentKind.choices,
        "today": timezone.localdate(),
        # A rejected form: what was typed and the error beside its field, by form.
        "filled": filled,
        "errors": errors,
        "file_chosen": file_chosen,
        **dossier_items(process),
    }
    return render(
        request, "designer/dossier.html", context, status=400 if request.method == "POST" else 200
    )


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def document_file(request, slug: str, document_id: int):
    """A dossier document, as it was added (its SHA-256 is in the log): anyone's once the
    process is published; a draft's only for the process's own staff (anyone with a role
    on it, who see it on the dossier page), never kept by a shared cache, and a 404 for
    anyone else."""
    document = get_object_or_404(
        DossierDocument.objects.select_related("process"),
        pk=document_id,
        process__slug=slug,
        removed_at__isnull=True,
    )
    draft = document.process.state == ProcessState.DRAFT
    if draft and not permissions.has_capability(request.user, document.process, "view"):
        raise Http404
    path = dossier.document_path(document)
    if not path.exists():
        raise Http404
    response = FileResponse(
        path.open("rb"),
        content_type=document.content_type,
        filename=f"{slug}-{document.pk}{path.suffix}",
        as_attachment=not document.is_image,
    )
    response["X-Content-Type-Options"] = "nosniff"
    if draft:
        response["Cache-Control"] = "private, no-store"
    return response


#: How many "follow this plan" slips one download holds (whole sheets of eight).
FOLLOW_SLIPS_MAX = 800


def follow_url(request, process: Process) -> str:
    """Where a "follow this plan" slip's QR code leads: the public page's follow form."""
    return absolute_url(request, process.get_absolute_url()) + "#follow"


@login_required
def follow_slips_pdf(request, slug: str):
    """ "Follow this plan" slips for any of the process's staff to print and hand out
    (``?count=N``: N slips, in whole sheets of eight)."""
    process = staff_process(request, slug, "view")
    try:
        count = min(max(int(request.GET.get("count", "8")), 1), FOLLOW_SLIPS_MAX)
    except ValueError:
        count = 8
    with translation.override(process.language):
        filename, content_type, body = registry.render(
            "follow",
            f"{process.slug}-follow.pdf",
            url=follow_url(request, process),
            title=process.title,
            strings=follow_strings(),
            count=count,
        )
    return HttpResponse(
        body,
        content_type=content_type,
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
