"""Phones: join by code or QR without an account, then answer. Every page here works as
plain HTML forms; ``static/js/participant.js`` adds the live websocket on top."""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime

from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from sessions_app import permissions, writer
from sessions_app.answers import QuestionRules, answer_from_form, parse_answer
from sessions_app.cookies import read_token, set_token
from sessions_app.exceptions import ERROR_MESSAGES, InputRejected
from sessions_app.identifiers import normalise_code, receipt_shown
from sessions_app.join_limits import join_allowed
from sessions_app.models import (
    JoinedVia,
    LiveSession,
    Moderation,
    Participant,
    ProcessState,
    QuestionKind,
    QuestionState,
)
from sessions_app.models.live_session import JOIN_CODE_ALPHABET
from sessions_app.numbers import number
from sessions_app.results import question_results
from sessions_app.selectors import participant_answers
from sessions_app.services import participation, qna

from .common import absolute_url, socket_path, use_process_language
from .strings import phone_strings


def _session(code: str) -> LiveSession | None:
    return (
        LiveSession.objects.select_related("process").filter(join_code=normalise_code(code)).first()
    )


def _participant(request, session: LiveSession) -> Participant | None:
    token = read_token(request.COOKIES, session.pk)
    if not token:
        return None
    return Participant.objects.filter(session=session, token=token).first()


def _open_session(request, code: str):
    """``(session, None)`` for a join code people may take part with, or ``(None, page)``:
    the unknown code's page, or a draft's "not open yet" (nobody joins before
    publication)."""
    session = _session(code)
    if session is None:
        return None, _unknown(request, normalise_code(code))
    if session.process.state == ProcessState.DRAFT:
        return None, _not_open(request, session)
    return session, None


def _not_open(request, session: LiveSession):
    """A draft process's session: nobody joins before it is published."""
    use_process_language(request, session.process)
    return render(request, "participate/not_open.html", {"session": session}, status=404)


def _unknown(request, code: str):
    return render(
        request,
        "participate/unknown.html",
        {"code": code, "alphabet": JOIN_CODE_ALPHABET},
        status=404,
    )


def join_start(request):
    """Type the code shown in the room."""
    typed = request.GET.get("code")
    code = normalise_code(typed or "")
    if code:
        _found, page = _open_session(request, code)
        return page or redirect("participate:join", code=code)
    # Sent without a code (a browser that does not check ``required``): say what is missing.
    error = _("Type the code shown on the screen first.") if typed is not None else ""
    return render(
        request, "participate/join_start.html", {"error": error}, status=400 if error else 200
    )


def join(request, code: str, via: str = JoinedVia.ROOM):
    """The join page behind the QR code (``room``) or the shared link (``remote``); an
    attendee card's QR code adds ``?card=``."""
    session, page = _open_session(request, code)
    if page is not None:
        return page
    use_process_language(request, session.process)
    card = request.POST.get("card") or request.GET.get("card", "")
    if _participant(request, session) is not None and not card:
        return redirect("participate:phone", code=session.join_code)
    if not participation.session_accepts_people(session):
        return render(request, "participate/ended.html", {"session": session}, status=410)
    token = read_token(request.COOKIES, session.pk)
    needs_invitation = via == JoinedVia.REMOTE and session.remote_invitation
    invite = normalise_code(request.POST.get("invite") or request.GET.get("invite", ""))
    status = 200
    if (
        request.method == "POST"
        and needs_invitation
        and not (invite and hmac.compare_digest(invite, session.invitation_code))
    ):
        messages.error(
            request,
            str(ERROR_MESSAGES["invitation_needed" if not invite else "invitation_wrong"]),
        )
    elif (
        request.method == "POST"
        and not token
        and not join_allowed(request.META.get("REMOTE_ADDR", ""), session)
    ):
        # A new participant from an address that had a room's worth this minute.
        messages.error(request, str(ERROR_MESSAGES["too_many_joins"]))
        status = 429
    elif request.method == "POST":
        try:
            participant = participation.participant_join(
                session=session,
                via=via,
                card_code=card.strip(),
                token=token,
            )
        except InputRejected as rejected:
            messages.error(request, str(ERROR_MESSAGES.get(rejected.code, rejected.code)))
        else:
            response = redirect("participate:phone", code=session.join_code)
            set_token(response, session.pk, participant.token)
            return response
    context = {
        "session": session,
        "process": session.process,
        "via": via,
        "card": card,
        "uses_cards": session.cards.exists(),
        "needs_invitation": needs_invitation,
        "invite": invite,
    }
    return render(request, "participate/join.html", context, status=status)


def _phone_questions(session: LiveSession):
    current = session.current_question_id
    questions = session.questions.filter(state=QuestionState.OPEN).prefetch_related("options")
    shown = list(questions)
    if current and all(q.pk != current for q in shown):
        shown += list(session.questions.filter(pk=current).prefetch_related("options"))
    for question in shown:
        question.approved = [
            o for o in question.options.all() if o.moderation == Moderation.APPROVED
        ]
    return shown


def phone(request, code: str):
    """The participant's page: the open questions, as forms."""
    session, page = _open_session(request, code)
    if page is not None:
        return page
    use_process_language(request, session.process)
    participant = _participant(request, session)
    if participant is None:
        return redirect("participate:join", code=session.join_code)
    return _phone_page(request, session, participant)


def _phone_page(request, session, participant, *, sent=None, status: int = 200):
    """The phone page of ``participant``. ``sent``: a refused plain form, ``(question id,
    its fields)``, whose question's form is filled in again as it was sent (with its
    ``Change my answer`` unfolded) instead of with the answer that counts."""
    if not participation.session_accepts_people(session):
        return render(request, "participate/ended.html", {"session": session}, status=410)
    mine = participant_answers(participant)
    questions = _phone_questions(session)
    notes, page_messages = _card_notes(request, {q.pk for q in questions})
    order = "time" if request.GET.get("order") == "time" else "votes"
    sent_id, sent_fields = sent or (None, None)
    for question in questions:
        question.mine = mine.get(str(question.pk))
        question.sent = sent_fields if question.pk == sent_id else None
        if question.kind == QuestionKind.QNA:
            _qna_card(question, participant, question.mine or {}, order)
        # The card says the answer counts (and offers to change it) for as long as it
        # does: a new question arrives without it.
        question.answered = bool(question.mine) and question.kind not in (
            QuestionKind.STATEMENTS,
            QuestionKind.QNA,
        )
        question.summary = answer_summary(question, question.mine) if question.answered else ""
        question.notes = notes.get(question.pk, [])
    context = {
        "page_messages": page_messages,
        "messages_in_cards": True,
        # Shown again at the answer's (POST-only) address: the language form goes back
        # to the phone page.
        "language_next": reverse("participate:phone", args=[session.join_code]) if sent else None,
        "session": session,
        "process": session.process,
        "participant": participant,
        "questions": questions,
        "form_id": uuid.uuid4().hex,
        "phone_config": {
            "code": session.join_code,
            "socket": socket_path("phone", session.join_code),
            "answer_url": reverse("participate:answer", args=[session.join_code, 0]),
            "strings": phone_strings(),
            # Until the snapshot carries a budget's unit: the units of this agenda.
            "units": {
                str(q.pk): q.budget_unit
                for q in session.questions.filter(kind=QuestionKind.BUDGET).only(
                    "pk", "budget_unit"
                )
            },
            "mine": mine,
            "check_url": request.build_absolute_uri(
                reverse("public:check", args=[session.process.slug])
            ),
        },
    }
    return render(request, "participate/phone.html", context, status=status)


def _qna_card(question, participant, mine: dict, order: str) -> None:
    """What a Q&A round's card shows: the shown questions (most upvoted first, or newest
    first), each marked as this phone's own or upvoted by it, and its own questions that
    wait for a facilitator."""
    results = question_results(question=question)
    own = set(mine.get("own", ()))
    asked = results["asked"]
    if order == "time":
        asked = sorted(  # as moments: an hour's offset changes when the clocks go back
            asked,
            key=lambda item: (datetime.fromisoformat(item["asked_at"]), item["id"]),
            reverse=True,
        )
    members = {m.pk: m for m in question.panel.all()}
    for item in asked:
        item["own"] = item["id"] in own
        item["upvoted"] = mine.get(str(item["id"])) == "up"
        member = item["panel_member"]
        item["member"] = members.get(member["id"]) if member else None
    question.asked = asked
    question.order = order
    question.members = list(members.values())
    question.waiting = mine.get("waiting", [])  # (participant_answers: pending, not erased)


def _ask(participant, question, post, form_id: str):
    return qna.qna_ask(
        participant=participant,
        question_id=question.pk,
        text=post.get("ask_text", ""),
        panel_member=post.get("panel_member", ""),
        display_name=post.get("display_name", ""),
        client_id=form_id,
    )


def _submit(participant, question, raws, rules, form_id: str, proposal: str) -> list:
    """The plain form's answers (one per statement voted on) and proposal, counted; the
    outcomes of the answers. Each answer's client id comes from the form's id. All or
    nothing: a refused form is shown again as sent, so none of it may have counted."""
    outcomes = []
    with transaction.atomic():
        for index, raw in enumerate(raws):
            client_id = form_id if len(raws) == 1 else f"{form_id}-{raw.get('statement', index)}"
            outcomes.append(
                participation.response_submit(
                    participant=participant,
                    question_id=question.pk,
                    answer=raw,
                    client_id=client_id,
                    rules=rules,
                )
            )
        if proposal:
            participation.statement_propose(
                participant=participant,
                question_id=question.pk,
                text=proposal,
                client_id=f"{form_id}-new",
            )
    return outcomes


def _other_answer(participant, question, rules: QuestionRules, raws: list) -> bool:
    """Whether the one answer sent differs from the participant's answer that counts
    (both in the protocol's shape, the form's text checked as the service checks it)."""
    if len(raws) != 1 or question.kind in (QuestionKind.STATEMENTS, QuestionKind.QNA):
        return False
    try:
        sent = parse_answer(rules, raws[0]).as_json(question.kind)
    except InputRejected:
        return False
    current = participant_answers(participant).get(str(question.pk))
    return current is not None and _normalised(current) != _normalised(sent)


def _normalised(answer: dict) -> dict:
    """Choices in any order are the same choices."""
    return {key: sorted(value) if key == "options" else value for key, value in answer.items()}


@require_POST
def answer(request, code: str, question_id: int):
    """The plain-form path: the same service as the websocket. ``form_id`` is the client id,
    so a resubmitted form counts once."""
    session, page = _open_session(request, code)
    if page is not None:
        return page
    use_process_language(request, session.process)
    participant = _participant(request, session)
    if participant is None:
        return redirect("participate:join", code=session.join_code)
    form_id = request.POST.get("form_id", "")
    # What happened to the answer is said in its question's card (see _card_notes).
    card = f"card-{question_id}"
    if not _within_rate(participant):
        # Refused before anything is counted; the page again, as for the refusals below,
        # so that sending it again in a moment is enough.
        messages.error(request, str(ERROR_MESSAGES["rate_limited"]), extra_tags=card)
        return _phone_page(
            request, session, participant, sent=(question_id, request.POST), status=429
        )
    try:
        question = participation.load_open_question(participant, question_id)
        if question.kind == QuestionKind.QNA and "ask_text" in request.POST:
            asked, _created = writer.call(_ask, participant, question, request.POST, form_id)
            messages.success(
                request,
                _("Thank you. Your question is shown once a facilitator has read it.")
                if asked.moderation == Moderation.PENDING
                else _("Thank you. Your question is on the list."),
                extra_tags=card,
            )
            return redirect(
                reverse("participate:phone", args=[session.join_code]) + f"#question-{question_id}"
            )
        rules = QuestionRules.of(question)
        raws = answer_from_form(rules, request.POST)
        if question.kind == QuestionKind.QNA:
            # One form, a button per question: each click its own client id.
            form_id = f"{form_id}-{raws[0]['vote'][0]}{raws[0]['statement']}"[:64]
        if question.kind == QuestionKind.STATEMENTS:
            # The form shows the votes already given; only new or changed votes are sent.
            given = participant_answers(participant).get(str(question.pk), {})
            raws = [raw for raw in raws if given.get(str(raw.get("statement"))) != raw.get("vote")]
        proposal = request.POST.get("new_statement", "").strip()
        if not raws and not proposal and question.kind != QuestionKind.STATEMENTS:
            raise InputRejected("no_choice")
        # On the writer thread, as the websocket's answers.
        outcomes = writer.call(_submit, participant, question, raws, rules, form_id, proposal)
    except InputRejected as rejected:
        # The page again, not a redirect to it: without JavaScript the form would come
        # back blank (or with the answer that counts), and the person would start again.
        messages.error(
            request, str(ERROR_MESSAGES.get(rejected.code, rejected.code)), extra_tags=card
        )
        return _phone_page(
            request, session, participant, sent=(question_id, request.POST), status=400
        )
    if not outcomes and not proposal:
        messages.info(
            request, _("Your votes had already been counted; nothing changed."), extra_tags=card
        )
    elif outcomes and all(o.status == "duplicate" for o in outcomes):
        if _other_answer(participant, question, rules, raws):
            # The same form sent again with another answer (the back button brought up an
            # old one): its id was used, so nothing changed; say so, not "received".
            messages.info(
                request,
                _(
                    "This form had already been sent, so this answer was not counted. "
                    "The answer that counts is below; change it with “Change my answer”."
                ),
                extra_tags=card,
            )
        else:
            messages.info(
                request,
                _("This answer had already been received; it counts once."),
                extra_tags=card,
            )
    elif question.kind == QuestionKind.QNA:
        messages.success(
            request,
            _("Your upvote counts.")
            if raws[0]["vote"] == "up"
            else _("Your upvote has been withdrawn."),
            extra_tags=card,
        )
    elif proposal and not outcomes:
        messages.success(
            request,
            _("Thank you. Your statement is shown to others once a facilitator has read it."),
            extra_tags=card,
        )
    else:
        # An answered card confirms by itself; this note is for statements (and for a
        # card that closed in the meantime).
        messages.success(request, _("Your answer has been counted."), extra_tags=card)
        codes = [receipt_shown(o.receipt) for o in outcomes if o.receipt]
        if codes:
            # Shown once and not kept on the server: the phone (this page) holds it.
            messages.info(
                request,
                ngettext(
                    "Your receipt: %(codes)s. Write it down or take a screenshot: with it "
                    "you can check on this process's page that your answer counts.",
                    "Your receipts: %(codes)s. Write them down or take a screenshot: with "
                    "them you can check on this process's page that your answers count.",
                    len(codes),
                )
                % {"codes": ", ".join(codes)},
                extra_tags=f"receipt {card}",
            )
    return redirect(
        reverse("participate:phone", args=[session.join_code]) + f"#question-{question_id}"
    )


def _card_notes(request, shown: set[int]) -> tuple[dict[int, list], list]:
    """The pending messages, split: those about an answer go into its question's card
    (tagged ``card-<id>`` by ``answer``), the rest (and any for a question no longer
    shown) stay at the top of the page."""
    notes: dict[int, list] = {}
    page = []
    for message in messages.get_messages(request):
        tag = next((t for t in message.extra_tags.split() if t.startswith("card-")), "")
        question = int(tag[5:]) if tag[5:].isdigit() else None
        if question in shown:
            notes.setdefault(question, []).append(message)
        else:
            page.append(message)
    return notes, page


def answer_summary(question, mine) -> str:
    """This phone's answer in words, for the card's confirmation."""
    if not isinstance(mine, dict):
        return ""
    names = {o.pk: o.text for o in question.approved}
    if "option" in mine:
        return names.get(mine["option"], "")
    if "options" in mine:
        return ", ".join(names[o] for o in mine["options"] if o in names)
    if "value" in mine:
        return str(mine["value"])
    if "ranking" in mine:
        return ", ".join(
            f"{place}. {names[o]}" for place, o in enumerate(mine["ranking"], 1) if o in names
        )
    if "allocation" in mine:
        return "; ".join(
            f"{names[int(o)]}: {budget_amount(question, amount)}"
            for o, amount in mine["allocation"].items()
            if amount and int(o) in names
        )
    return mine.get("text", "")


def budget_amount(question, amount: int) -> str:
    """An amount in the budget's unit: "30 euro", or "30 points" when it has none; as the
    active language writes numbers ("20.000 euro" in Dutch)."""
    if question.budget_unit:
        return _("%(amount)s %(unit)s") % {"amount": number(amount), "unit": question.budget_unit}
    return ngettext("%(amount)s point", "%(amount)s points", amount) % {"amount": number(amount)}


#: Plain-form answers per participant per 10 s (the websocket has its own budget).
FORM_RATE = 30


def _within_rate(participant: Participant) -> bool:
    # The window starts at a participant's first answer (the counter expires 10 s later;
    # incrementing keeps its expiry), so a burst is never split across two clock windows.
    key = f"inspraak:form-answers:{participant.public_id}"
    cache.add(key, 0, timeout=10)
    try:
        return cache.incr(key) <= FORM_RATE
    except ValueError:  # expired between add and incr
        return True


def join_links(request, session: LiveSession) -> dict:
    """The room QR and the remote link differ, so every participant is recorded as in the
    room or remote."""
    return {
        "room_url": absolute_url(request, reverse("participate:join", args=[session.join_code])),
        "remote_url": absolute_url(
            request, reverse("participate:join_remote", args=[session.join_code])
        ),
        "start_url": absolute_url(request, reverse("participate:join_start")),
        # For the staff only: the remote link with the invitation code in it.
        "invited_url": absolute_url(
            request,
            reverse("participate:join_remote", args=[session.join_code])
            + f"?invite={session.invitation_code}",
        ),
    }


def session_or_404(request, code: str) -> LiveSession:
    """The session of a join code for its presenter, poster and printables; a draft
    process's only for its staff (a rehearsal before publication)."""
    session = get_object_or_404(
        LiveSession.objects.select_related("process"), join_code=normalise_code(code)
    )
    if session.process.state == ProcessState.DRAFT and not permissions.user_roles(
        request.user, session.process
    ):
        raise Http404
    return session
