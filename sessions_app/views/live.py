"""The room's screens: the presenter (projector), the printable join page and the
facilitator's console."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from printables.qr import qr_svg
from sessions_app import writer
from sessions_app.exceptions import AccessDenied, FacilitationError, InputRejected
from sessions_app.models import LiveSession
from sessions_app.results import latest_hand_counts, paper_provisional, question_results
from sessions_app.selectors import moderation_queue
from sessions_app.services.facilitation import console_command
from sessions_app.services.hands import HAND_KINDS

from .common import socket_path, staff_process, use_process_language
from .participate import join_links, session_or_404
from .strings import console_strings, results_strings


def presenter(request, code: str):
    """The projector: the join QR and code always visible, the question on screen and its
    results (once revealed), updated live."""
    session = session_or_404(request, code)
    use_process_language(request, session.process)
    links = join_links(request, session)
    context = {
        "session": session,
        "process": session.process,
        **links,
        "qr": qr_svg(
            links["room_url"], label=_("QR code to join: %(url)s") % {"url": links["room_url"]}
        ),
        "presenter_config": {
            "socket": socket_path("presenter", session.join_code),
            "strings": results_strings(),
        },
    }
    return render(request, "live/presenter.html", context)


def join_print(request, code: str):
    """A printable A4 join page: the room QR big, the remote link beside it."""
    session = session_or_404(request, code)
    use_process_language(request, session.process)
    links = join_links(request, session)
    context = {
        "session": session,
        "process": session.process,
        **links,
        "qr_room": qr_svg(links["room_url"], label=_("QR code to join in the room")),
        "qr_remote": qr_svg(links["remote_url"], label=_("QR code to join from elsewhere")),
    }
    return render(request, "live/join_print.html", context)


def _console_session(request, slug: str, session_id: int) -> LiveSession:
    process = staff_process(request, slug, "facilitate")
    return get_object_or_404(
        LiveSession.objects.select_related("process"), pk=session_id, process=process
    )


@login_required
def console(request, slug: str, session_id: int):
    session = _console_session(request, slug, session_id)
    links = join_links(request, session)
    agenda = list(session.questions.order_by("position", "id").prefetch_related("options"))
    provisional = paper_provisional(session)
    for question in agenda:
        question.results = question_results(
            question=question, session=session, provisional=provisional
        )
        if question.kind in HAND_KINDS:
            # The counts that stand, so a correction starts from them.
            question.hands = {
                str(key): count for (_kind, key), count in latest_hand_counts(question).items()
            }
    context = {
        "session": session,
        "process": session.process,
        "agenda": agenda,
        "queue": moderation_queue(session),
        **links,
        "presenter_url": reverse("live:presenter", args=[session.join_code]),
        "join_print_url": reverse("live:join_print", args=[session.join_code]),
        "console_config": {
            "socket": socket_path("facilitator", session.join_code),
            "action_url": reverse("live:console_action", args=[session.process.slug, session.pk]),
            "strings": console_strings(),
        },
    }
    return render(request, "live/console.html", context)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def console_action(request, slug: str, session_id: int):
    """The console's buttons without JavaScript: the same commands as its websocket."""
    session = _console_session(request, slug, session_id)
    message = {
        "command": request.POST.get("command"),
        "question": _int(request.POST.get("question")),
        "response": _int(request.POST.get("response")),
        "statement": _int(request.POST.get("statement")),
        "decision": request.POST.get("decision"),
        "reason": request.POST.get("reason", ""),
    }
    if message["command"] == "hands":
        message["counts"] = {
            key.removeprefix("hands_"): value
            for key, value in request.POST.items()
            if key.startswith("hands_") and value.strip() != ""
        }
    try:
        writer.call(console_command, user=request.user, session_id=session.pk, message=message)
    except (FacilitationError, AccessDenied, InputRejected) as error:
        messages.error(request, error.message)
    anchor = f"#q-{message['question']}" if message["question"] else ""
    return redirect(reverse("live:console", args=[slug, session.pk]) + anchor)
