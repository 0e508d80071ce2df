"""The room's screens: the presenter (projector), the printable join page and the
facilitator's console."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from printables.qr import qr_svg
from sessions_app import writer
from sessions_app.exceptions import AccessDenied, FacilitationError, InputRejected
from sessions_app.models import LiveSession, QuestionKind, SessionState
from sessions_app.numbering import number_questions
from sessions_app.results import latest_hand_counts, paper_provisional, question_results
from sessions_app.selectors import moderation_queue, paper_reconciliation, session_participation
from sessions_app.services.facilitation import (
    console_command,
    session_reopen_until,
    session_reopenable,
)
from sessions_app.services.hands import HAND_KINDS, hands_rule_applies

from . import public_results
from .common import (
    absolute_url,
    post_or_back,
    socket_path,
    staff_process,
    use_process_language,
)
from .participate import join_links, session_or_404
from .strings import console_strings, presenter_strings, results_strings


def presenter(request, code: str):
    """The projector: the join QR and code always visible, the question on screen and its
    results (once revealed), updated live."""
    session = session_or_404(request, code)
    use_process_language(request, session.process)
    links = join_links(request, session)
    process = session.process
    context = {
        "session": session,
        "process": process,
        **links,
        "presenter_config": {
            "socket": socket_path("presenter", session.join_code),
            "strings": {**results_strings(), **presenter_strings()},
            "state": session.state,
        },
    }
    if session.state == SessionState.ENDED:
        # The closing screen: where to follow the process, not how to join.
        public_url = absolute_url(request, process.get_absolute_url())
        today = timezone.localdate()
        context.update(
            public_url=public_url,
            public_qr=qr_svg(
                public_url,
                label=_("QR code of the process's public page: %(url)s") % {"url": public_url},
            ),
            next_steps=[m for m in process.milestones.all() if m.date >= today][:2],
        )
    else:
        context["qr"] = qr_svg(
            links["room_url"], label=_("QR code to join: %(url)s") % {"url": links["room_url"]}
        )
        current = session.current_question
        if current is not None:
            result = question_results(
                question=current, session=session, provisional=paper_provisional(session)
            )
            hands = result["respondents"]["hands"]
            context["hands_rule"] = hands_rule_applies(current, mode=session.mode, hands=hands)
            if current.results_revealed:
                # Without JavaScript (the page reloads every 10 s): the results shown, as
                # on the public page.
                context["shown_result"] = public_results.question_item(current, result)
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


#: The answer form's field a rejection concerns (by error code), to show the error there.
ANSWER_ERROR_FIELDS = {"answer_mode": "mode", "answer_text": "text", "answer_due": "due"}
#: The ways to answer the console's form offers (``written`` is given later, elsewhere).
ANSWER_FORM_MODES = ("summary", "in_room", "in_writing")


def _refused_form(message: dict, typed_hands: dict, error) -> dict | None:
    """A refused plain form that had something typed into it, as the console shows it
    again: ``form``, the key of its form on the page (the templates' ``data-form``), what
    was typed, ``error`` and ``field`` (the field the error concerns, if it is one). None
    for a button: nothing typed is lost, so the console is shown again by a redirect."""
    command = message["command"]
    refused = {"error": error.message, "field": None}
    if command == "qna_answer" and message["asked"]:
        mode = message["mode"]
        return {
            **refused,
            "form": f"answer-{message['asked']}",
            "mode": mode if mode in ANSWER_FORM_MODES else "summary",
            "text": message["text"],
            "due": message["due"],
            "field": ANSWER_ERROR_FIELDS.get(error.code),
        }
    if command == "moderate" and message["decision"] == "hide":
        kind = "response" if message["response"] is not None else "statement"
        return {**refused, "form": f"hide-{kind}-{message[kind]}", "reason": message["reason"]}
    if command == "hands" and message["question"]:
        # Every field as typed, the empty ones too (they are not sent to the service).
        refused.update(form=f"hands-{message['question']}", counts=typed_hands)
        if error.code == "hands_unlikely":
            # Asked, not refused: the form offers to record this very total.
            refused["confirm_total"] = str(error.params["total"])  # a field's value
        return refused
    return None


def _hands_total(counts: dict) -> int | None:
    """The total of typed hands, or None if one of them is not a whole number."""
    try:
        return sum(int(value) for value in counts.values())
    except (TypeError, ValueError):
        return None


def _kept(refused: dict | None, form: str) -> dict | None:
    """``refused`` if it is the page's form ``form`` (then marked as placed), else None."""
    if refused is None or refused["form"] != form:
        return None
    refused["placed"] = True
    return refused


@login_required
def console(request, slug: str, session_id: int):
    session = _console_session(request, slug, session_id)
    return _console_page(request, session)


def _console_page(request, session: LiveSession, *, refused: dict | None = None, status=200):
    """The console of ``session``. ``refused``: a plain form the server refused (see
    ``_refused_form``), filled in again as it was typed, with the error beside it (or, if
    its form is no longer on the page, at the top)."""
    links = join_links(request, session)
    agenda = list(session.questions.order_by("position", "id").prefetch_related("options"))
    provisional = paper_provisional(session)
    # The number the residents' paper forms give each question (a Q&A round has none), so
    # that "question 3" means the same in the room as on paper and in the report.
    number_questions(agenda)
    for question in agenda:
        question.results = question_results(
            question=question, session=session, provisional=provisional
        )
        if question.kind == QuestionKind.QNA:
            for asked in question.results["asked"]:
                due = asked["answer"]["due"] if asked["answer"] else None
                asked["due_date"] = date.fromisoformat(due) if due else None
                asked["kept"] = _kept(refused, f"answer-{asked['id']}")
                asked["kept_hide"] = _kept(refused, f"hide-statement-{asked['id']}")
                # A paper question's hands: its form posts its own count only.
                if str(asked["id"]) in (refused or {}).get("counts", {}):
                    asked["kept_hands"] = _kept(refused, f"hands-{question.pk}")
        elif question.kind in HAND_KINDS:
            # The counts that stand, so a correction starts from them; or as typed.
            question.kept = _kept(refused, f"hands-{question.pk}")
            question.hands = (
                question.kept["counts"]
                if question.kept
                else {
                    str(key): count for (_kind, key), count in latest_hand_counts(question).items()
                }
            )
    queue = moderation_queue(session)
    # Every waiting text names its question.
    texts = {question.pk: question.text for question in agenda}
    for kind, items in (("response", queue["texts"]), ("statement", queue["statements"])):
        for item in items:
            item["question_text"] = texts.get(item["question"], "")
            item["kept"] = _kept(refused, f"hide-{kind}-{item['id']}")
    if refused and not refused.get("placed"):
        # Its form is no longer on the page (its question merged, hidden, moderated
        # meanwhile, or the session ended): the error alone, at the top.
        messages.error(request, refused["error"])
    ended = session.state == SessionState.ENDED
    console_url = reverse("live:console", args=[session.process.slug, session.pk])
    context = {
        "session": session,
        "process": session.process,
        "agenda": agenda,
        "queue": queue,
        "queue_size": len(queue["texts"]) + len(queue["statements"]),
        "ended": ended,
        "reopenable": session_reopenable(session),
        "reopen_until": session_reopen_until(session),
        "paper": paper_reconciliation(session=session),
        # The plain form's confirmation step, without JavaScript (?confirm=end|paper).
        "confirm": request.GET.get("confirm") if not ended else None,
        "hand_kinds": HAND_KINDS,
        "notes": list(session.notes.all()),
        "reopen_minutes": settings.SESSION_REOPEN_MINUTES,
        **links,
        "presenter_url": reverse("live:presenter", args=[session.join_code]),
        "join_print_url": reverse("live:join_print", args=[session.join_code]),
        # Shown again at the (POST-only) address of a refused form: the language form goes
        # back to the console.
        "language_next": console_url if refused else None,
        "console_config": {
            "console_url": console_url,
            "socket": socket_path("facilitator", session.join_code),
            "action_url": reverse("live:console_action", args=[session.process.slug, session.pk]),
            "strings": console_strings(),
            "state": session.state,
            "reopen_minutes": settings.SESSION_REOPEN_MINUTES,
        },
    }
    if ended:
        context["turnout"] = {
            # Phones in the room and remote, paper forms, as the session report counts.
            **session_participation(session=session),
            # A show of hands counts hands, not people: the largest count for one question.
            "hands": max((q.results["respondents"]["hands"] for q in agenda), default=0),
        }
        if session.process.is_public:
            context["public_url"] = session.process.get_absolute_url()
    return render(request, "live/console.html", context, status=status)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@post_or_back(lambda slug, session_id: reverse("live:console", args=[slug, session_id]))
def console_action(request, slug: str, session_id: int):
    """The console's buttons and forms without JavaScript: the same commands as its
    websocket. A button's outcome is shown by a redirect to the console; a refused form
    that had something typed into it (a reason for hiding, a show of hands, the panel's
    answer) is shown again at once (status 400), filled in as typed with the error beside
    it, as the phone's and the dossier's forms are. A show of hands refused as
    ``hands_unlikely`` comes back so too, with a "Yes, record it" button
    (``confirm_hands``: the total it confirms)."""
    session = _console_session(request, slug, session_id)
    message = {
        "command": request.POST.get("command"),
        "question": _int(request.POST.get("question")),
        "response": _int(request.POST.get("response")),
        "statement": _int(request.POST.get("statement")),
        "decision": request.POST.get("decision"),
        "reason": request.POST.get("reason", ""),
        "confirm": request.POST.get("confirm") == "1",
    }
    if (message["command"] or "").startswith("qna_"):
        asked = request.POST.get("asked", "")
        message.update(
            asked=_int(asked) if asked else None,
            into=_int(request.POST.get("into")),
            mode=request.POST.get("mode"),
            text=request.POST.get("text", ""),
            due=request.POST.get("due", ""),
            id=request.POST.get("form_id", ""),
        )
    typed_hands = {
        key.removeprefix("hands_"): value
        for key, value in request.POST.items()
        if key.startswith("hands_")
    }
    if message["command"] == "hands":
        message["counts"] = {key: value for key, value in typed_hands.items() if value.strip()}
        # "Yes, record it" confirms the total it was shown for (``hands_unlikely``), not
        # numbers changed since.
        confirmed = _int(request.POST.get("confirm_hands"))
        message["confirm"] = confirmed is not None and confirmed == _hands_total(message["counts"])
    anchor = f"#q-{message['question']}" if message["question"] else ""
    try:
        notice = writer.call(
            console_command, user=request.user, session_id=session.pk, message=message
        )
    except (FacilitationError, AccessDenied, InputRejected) as error:
        if error.code == "paper_waiting":
            # Ask, on the page: close anyway, or leave paper counting open.
            messages.error(request, error.message)
            return redirect(
                reverse("live:console", args=[slug, session.pk]) + "?confirm=paper#paper"
            )
        refused = _refused_form(message, typed_hands, error)
        if refused is not None:
            # The page again, not a redirect to it: what was typed would be lost.
            return _console_page(request, session, refused=refused, status=400)
        messages.error(request, error.message)
    else:
        if notice == "results_hidden":
            messages.info(request, console_strings()["results_hidden"])
        elif message["command"] == "end":
            anchor = "#summary"
    return redirect(reverse("live:console", args=[slug, session.pk]) + anchor)
