"""Paper: the facilitator's paper page (print, reconcile, review, void, close counting),
printable join material, and the teller's entry form on a phone."""

from __future__ import annotations

import functools
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from printables import registry
from printables.layout import question_numbers
from printables.strings import poster_strings
from sessions_app import permissions, selectors, writer
from sessions_app.exceptions import AccessDenied, FacilitationError, InputRejected
from sessions_app.models import (
    EntryMode,
    EntryState,
    FormLayout,
    LiveSession,
    PaperSheet,
    PrintBatch,
    QuestionKind,
    Response,
    SheetState,
)
from sessions_app.services import (
    background,
    facilitation,
    paper,
    print_runs,
    printing,
    reading,
    reconciliation,
)

from .common import absolute_url, staff_process, use_process_language
from .participate import join_links, session_or_404


def facilitated_session(request, slug: str, session_id: int) -> LiveSession:
    process = staff_process(request, slug, "facilitate")
    return get_object_or_404(
        LiveSession.objects.select_related("process"), pk=session_id, process=process
    )


def _back(session: LiveSession, anchor: str = ""):
    return redirect(reverse("paper:page", args=[session.process.slug, session.pk]) + anchor)


def _attempt(request, action, success: str) -> bool:
    try:
        action()
    except (InputRejected, AccessDenied, FacilitationError) as error:
        messages.error(request, capfirst(error.message))
        return False
    messages.success(request, success)
    return True


@login_required
def paper_page(request, slug: str, session_id: int):
    session = facilitated_session(request, slug, session_id)
    context = {
        "session": session,
        "process": session.process,
        "counts": selectors.paper_reconciliation(session=session),
        "conflicts": selectors.sheets_in_conflict(session=session),
        "held": selectors.held_responses(session=session),
        "batches": session.print_batches.order_by("-created_at")[:20],
        "has_qna": session.questions.filter(kind=QuestionKind.QNA).exists(),
        "review_queue": list(reading.review_queue(session=session)),
        "scans": session.scans.order_by("-created_at")[:10],
        "questions": {str(q.pk): q for q in session.questions.prefetch_related("options")},
        "teller_url": absolute_url(request, reverse("paper:teller_session", args=[session.pk])),
        "print_client_id": uuid.uuid4().hex,
        "local_address": _local_host(request),
    }
    return render(request, "paper/page.html", context)


def _local_host(request) -> str:
    """The host QR codes would carry, if no phone could reach it ('' when fine)."""
    host = absolute_url(request, "").split("://", 1)[-1].split("/", 1)[0]
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if name in {"localhost", "[::1]"} or name.startswith("127."):
        return host
    return ""


@login_required
@require_POST
def print_forms(request, slug: str, session_id: int):
    session = facilitated_session(request, slug, session_id)
    try:
        count = int(request.POST.get("count", ""))
    except ValueError:
        count = 0
    large = request.POST.get("large_print") == "on"
    qna_cards = request.POST.get("what") == "qna"
    cards = request.POST.get("cards") == "on" and not qna_cards
    try:
        if qna_cards and not session.questions.filter(kind=QuestionKind.QNA).exists():
            raise InputRejected("no_qna_round")
        layout = printing.form_layout(
            session=session, large_print=large, with_cards=cards, qna_cards=qna_cards
        )
        batch = print_runs.print_batch_create(
            user=request.user,
            session=session,
            count=count,
            layout=layout,
            with_cards=cards,
            client_id=request.POST.get("client_id", "")[:64],
        )
    except (InputRejected, AccessDenied, FacilitationError) as error:
        messages.error(request, capfirst(error.message))
        return _back(session)
    _start(request, batch)
    return redirect("paper:batch", slug=slug, session_id=session.pk, batch_id=batch.pk)


def _start(request, batch: PrintBatch) -> None:
    base_url = absolute_url(request, "")
    transaction.on_commit(lambda: printing.start_rendering(batch, base_url))


@login_required
@require_POST
def batch_retry(request, slug: str, session_id: int, batch_id: int):
    session = facilitated_session(request, slug, session_id)
    batch = get_object_or_404(PrintBatch, pk=batch_id, session=session)
    try:
        batch = printing.retry(user=request.user, batch=batch)
    except (InputRejected, AccessDenied, FacilitationError) as error:
        messages.error(request, capfirst(error.message))
        return redirect("paper:batch", slug=slug, session_id=session.pk, batch_id=batch.pk)
    _start(request, batch)
    return redirect("paper:batch", slug=slug, session_id=session.pk, batch_id=batch.pk)


@login_required
def batch_page(request, slug: str, session_id: int, batch_id: int):
    session = facilitated_session(request, slug, session_id)
    batch = get_object_or_404(PrintBatch, pk=batch_id, session=session)
    if batch.state == PrintBatch.State.PENDING:
        background.dispatch()  # still queued: starts now if a slot is free
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "state": batch.state,
                "progress": batch.progress,
                "total": batch.count,
                "status": _batch_status(batch),
            }
        )
    return render(
        request,
        "paper/batch.html",
        {
            "session": session,
            "process": session.process,
            "batch": batch,
            "status": _batch_status(batch),
            "retry": batch.state == PrintBatch.State.FAILED or printing.is_stale(batch),
        },
    )


def _batch_status(batch: PrintBatch) -> str:
    return _("%(done)d of %(total)d made: %(state)s.") % {
        "done": batch.progress,
        "total": batch.count,
        "state": batch.get_state_display(),
    }


@login_required
def batch_pdf(request, slug: str, session_id: int, batch_id: int):
    session = facilitated_session(request, slug, session_id)
    batch = get_object_or_404(PrintBatch, pk=batch_id, session=session, state=PrintBatch.State.DONE)
    path = printing.batch_path(batch)
    if not path.exists():
        raise Http404
    name = f"{session.join_code}-forms-{batch.sheets.order_by('serial').first().serial}.pdf"
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type=registry.PDF
    )


@login_required
@require_POST
def cards_pdf(request, slug: str, session_id: int):
    session = facilitated_session(request, slug, session_id)
    try:
        count = int(request.POST.get("count", ""))
    except ValueError:
        count = 0
    try:
        cards = print_runs.cards_issue(user=request.user, session=session, count=count)
    except (InputRejected, AccessDenied, FacilitationError) as error:
        messages.error(request, capfirst(error.message))
        return _back(session)
    join = absolute_url(request, reverse("participate:join", args=[session.join_code]))
    with translation.override(session.process.language):
        filename, content_type, body = registry.render(
            "cards",
            f"{session.join_code}-cards.pdf",
            cards=[(card.code, f"{join}?card={card.code}") for card in cards],
            title=session.title,
            strings=poster_strings(),
        )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def paper_action(request, slug: str, session_id: int):
    """The paper page's buttons: close or reopen counting, void a sheet, settle reviews."""
    session = facilitated_session(request, slug, session_id)
    action = request.POST.get("action")
    user = request.user
    if action == "close":
        # Forms entered once would never count: the service refuses (paper_waiting)
        # unless the page showed the warning and the facilitator closed anyway.
        _attempt(
            request,
            lambda: facilitation.paper_counting_close(
                user=user, session=session, confirmed=request.POST.get("confirm") == "1"
            ),
            _("Paper counting has closed; results are final."),
        )
    elif action == "reopen":
        _attempt(
            request,
            lambda: reconciliation.paper_close(user=user, session=session, reopen=True),
            _("Paper counting is open again."),
        )
    elif action == "void":

        def void():
            sheet = paper.sheet_from_code(session=session, code=request.POST.get("code", ""))
            reconciliation.sheet_void(user=user, sheet=sheet, reason=request.POST.get("reason", ""))

        _attempt(request, void, _("The form has been voided."))
    elif action == "resolve":
        sheet = get_object_or_404(PaperSheet, pk=_int(request.POST.get("sheet")), session=session)
        _attempt(
            request,
            lambda: reconciliation.sheet_conflict_resolve(
                user=user, sheet=sheet, entry_id=_int(request.POST.get("entry"))
            ),
            _("The form counts with the chosen entry."),
        )
    elif action == "card":
        response = get_object_or_404(
            Response, pk=_int(request.POST.get("response")), question__session=session
        )
        _attempt(
            request,
            lambda: reconciliation.card_conflict_resolve(
                user=user, response=response, keep_new=request.POST.get("keep") == "new"
            ),
            _("The attendee card counts once."),
        )
    else:
        raise Http404
    return _back(session)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def poster_pdf(request, code: str):
    session = session_or_404(request, code)
    links = join_links(request, session)
    size = "A3" if request.GET.get("size") == "A3" else "A4"
    with translation.override(session.process.language):
        filename, content_type, body = registry.render(
            "poster",
            f"{session.join_code}-poster-{size}.pdf",
            url=links["room_url"],
            start_url=links["start_url"],
            code=session.join_code,
            title=session.process.title,
            subtitle=session.title,
            strings=poster_strings(),
            size=size,
            dossier_url=absolute_url(request, session.process.get_absolute_url()) + "#dossier",
        )
    return HttpResponse(
        body,
        content_type=content_type,
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


def slips_pdf(request, code: str):
    session = session_or_404(request, code)
    links = join_links(request, session)
    with translation.override(session.process.language):
        filename, content_type, body = registry.render(
            "slips",
            f"{session.join_code}-slips.pdf",
            url=links["room_url"],
            start_url=links["start_url"],
            code=session.join_code,
            title=session.title,
            strings=poster_strings(),
        )
    return HttpResponse(
        body,
        content_type=content_type,
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


# --- tellers ----------------------------------------------------------------------------


@login_required
def teller_home(request):
    """A teller's start: the sessions they count for, and a box to type a form's code."""
    sessions = [
        session
        for session in LiveSession.objects.select_related("process")
        .filter(process__staff_roles__user=request.user)
        .distinct()
        if permissions.has_capability(request.user, session.process, "enter_paper")
    ]
    return render(request, "paper/teller_home.html", {"sessions": sessions})


@login_required
def teller_session(request, session_id: int):
    session = get_object_or_404(LiveSession.objects.select_related("process"), pk=session_id)
    if not permissions.has_capability(request.user, session.process, "enter_paper"):
        raise Http404
    # The session's pages speak the language its forms are printed in, as the photo's
    # result and the entry form do (the language switch still overrides it).
    use_process_language(request, session.process)
    code = request.GET.get("code", "").strip()[:64]
    code_error = None
    if code:
        try:
            sheet = paper.sheet_from_code(session=session, code=code)
        except InputRejected as error:
            code_error = error.message  # beside the field, with what was typed
        else:
            return redirect("paper:entry", token=paper.sheet_token(sheet))
    context = {
        "session": session,
        "counts": selectors.paper_reconciliation(session=session),
        "code": code,
        "code_error": code_error,
    }
    return render(request, "paper/teller_session.html", context, status=400 if code_error else 200)


@functools.lru_cache(maxsize=64)
def _printed_numbers(session_id: int, version: str) -> dict[int, int]:
    """Question id → number on the paper, from the stored layout (a version is a hash of
    its content, so it never changes)."""
    layout = FormLayout.objects.get(session_id=session_id, version=version).data
    return question_numbers(layout)


def printed_questions(sheet: PaperSheet) -> list:
    """The sheet's questions as on its paper: in the printed order, each with ``number``,
    the number printed before it."""
    numbers = _printed_numbers(sheet.session_id, sheet.layout_version)
    questions = paper.sheet_questions(sheet)
    for index, question in enumerate(questions, start=1):
        question.number = numbers.get(question.pk, index)
    return sorted(questions, key=lambda question: question.number)


def entered_first_by(sheet: PaperSheet, user) -> bool:
    """Under double entry: this teller typed the sheet's first entry, so the second must
    come from someone else (``same_teller``); said before they start typing."""
    return (
        sheet.session.process.entry_mode == EntryMode.DOUBLE
        and sheet.state == SheetState.ENTERED
        and sheet.entries.filter(state=EntryState.RECORDED, teller=user).exists()
    )


def question_errors(sheet: PaperSheet, data, questions) -> tuple[dict, dict[str, str]]:
    """The teller form's answers, each question checked on its own by the paper service's
    rules: (answers, question id → what is wrong), so every problem is shown at once."""
    answers: dict[str, object] = {}
    errors: dict[str, str] = {}
    for question in questions:
        try:
            part = entry_answers(data, [question])
            if part:
                paper.parse_sheet_answers(sheet, part, questions)
        except InputRejected as error:
            errors[str(question.pk)] = error.message
        else:
            answers.update(part)
    return answers, errors


@login_required
def entry(request, token: str):
    """The form a teller fills in for one sheet: it mirrors the paper, with the paper's
    numbers and order. Every problem is shown next to its question and listed at the
    top; a teller who entered this sheet first is told so before typing it again."""
    try:
        sheet = paper.sheet_from_token(token)
    except InputRejected as error:
        return render(request, "paper/refused.html", {"message": error.message}, status=400)
    session = sheet.session
    if not permissions.has_capability(request.user, session.process, "enter_paper"):
        raise Http404
    use_process_language(request, session.process)
    # Said on opening the sheet; a repeated submit still gets its first outcome back.
    if request.method != "POST" and entered_first_by(sheet, request.user):
        return render(
            request,
            "paper/refused.html",
            {
                "heading": _("You entered this form already"),
                "message": _(
                    "You typed the first entry of form %(number)d. The second entry must "
                    "come from another teller: hand this form to a colleague."
                )
                % {"number": sheet.serial},
                "session": session,
                "notice": True,
            },
            status=409,
        )
    questions = printed_questions(sheet)
    outcome = None
    status = 200
    client_id = uuid.uuid4().hex
    errors: dict[str, str] = {}
    form_error = ""
    if request.method == "POST":
        # A refused form comes back as it was typed, with the same client id, so that
        # correcting it and saving again still counts the sheet once.
        client_id = request.POST.get("client_id", "")[:64] or client_id
        status = 400
        answers, errors = question_errors(sheet, request.POST, questions)
        if not errors:
            try:
                # On the writer thread: it takes its turn with the phones' answers.
                outcome = writer.call(
                    paper.sheet_entry_record,
                    user=request.user,
                    sheet=sheet,
                    answers=answers,
                    client_id=request.POST.get("client_id", ""),
                    printed=questions,
                )
            except InputRejected as error:
                form_error = error.message
            else:
                return render(
                    request,
                    "paper/entered.html",
                    {"sheet": sheet, "session": session, "outcome": outcome},
                )
    else:
        try:
            paper.sheet_check(sheet)
        except InputRejected as error:
            return render(
                request,
                "paper/refused.html",
                {"message": error.message, "session": session},
                status=409,
            )
    context = {
        "sheet": sheet,
        "session": session,
        "questions": questions,
        "client_id": client_id,
        "data": request.POST if request.method == "POST" else None,
        "votes": vote_words(),
        "crops": None,
        "reasons": None,
        "errors": errors,
        "error_list": [(q, errors[str(q.pk)]) for q in questions if str(q.pk) in errors],
        "form_error": form_error,
    }
    return render(request, "paper/entry.html", context, status=status)


def vote_words() -> list[tuple[str, str]]:
    return [("agree", _("agree")), ("disagree", _("disagree")), ("pass", _("pass"))]


def entry_answers(data, questions) -> dict:
    """The teller form's fields as answers in the protocol's shapes (blank questions are
    left out): ``q<id>-option``, ``q<id>-options``, ``q<id>-value``, ``q<id>-rank_<o>``,
    ``q<id>-amount_<o>``, ``q<id>-text``, ``q<id>-vote_<s>``, ``q<id>-proposal`` (with
    ``q<id>-panel_member`` for a question to the panel)."""
    answers: dict[str, object] = {}
    for question in questions:
        prefix = f"q{question.pk}-"
        kind = question.kind
        if kind == QuestionKind.SINGLE_CHOICE and data.get(prefix + "option"):
            answers[str(question.pk)] = {"option": data[prefix + "option"]}
        elif kind == QuestionKind.MULTIPLE_CHOICE and data.getlist(prefix + "options"):
            answers[str(question.pk)] = {"options": data.getlist(prefix + "options")}
        elif kind == QuestionKind.SCALE and data.get(prefix + "value"):
            answers[str(question.pk)] = {"value": data[prefix + "value"]}
        elif kind == QuestionKind.RANKING:
            places = {o.pk: data.get(f"{prefix}rank_{o.pk}", "") for o in question.printed}
            # (ASCII digits only: "²" is a digit to ``isdigit`` and no number to ``int``.)
            given = sorted(
                (int(v), o)
                for o, v in places.items()
                if v.strip().isascii() and v.strip().isdigit()
            )
            if given:
                if [place for place, _o in given] != list(range(1, len(given) + 1)):
                    raise InputRejected("ranking_invalid")
                answers[str(question.pk)] = {"ranking": [o for _place, o in given]}
        elif kind == QuestionKind.BUDGET:
            amounts = {
                str(o.pk): data.get(f"{prefix}amount_{o.pk}", "").strip() for o in question.printed
            }
            if any(amounts.values()):
                answers[str(question.pk)] = {"allocation": {k: v or 0 for k, v in amounts.items()}}
        elif kind == QuestionKind.OPEN_TEXT and data.get(prefix + "text", "").strip():
            answers[str(question.pk)] = {"text": data[prefix + "text"]}
        elif kind == QuestionKind.QNA and data.get(prefix + "proposal", "").strip():
            answers[str(question.pk)] = {
                "proposal": data[prefix + "proposal"],
                "panel_member": data.get(prefix + "panel_member") or None,
            }
        elif kind == QuestionKind.STATEMENTS:
            votes = {
                str(o.pk): data[f"{prefix}vote_{o.pk}"]
                for o in question.printed
                if data.get(f"{prefix}vote_{o.pk}")
            }
            proposal = data.get(prefix + "proposal", "").strip()
            if votes or proposal:
                answers[str(question.pk)] = {"votes": votes, "proposal": proposal}
    return answers
