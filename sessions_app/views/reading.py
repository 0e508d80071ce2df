"""Reading forms from photos and scans: the teller's camera, the facilitator's scan upload
with its progress and summary, the review queue with the crops of the boxes, and the
evidence files. The work is done by ``services.reading``."""

from __future__ import annotations

import base64
import uuid

import cv2
from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.middleware import body_limit
from printables.paper_form import readable
from sessions_app import permissions
from sessions_app.exceptions import AccessDenied, InputRejected
from sessions_app.models import (
    FormScan,
    LiveSession,
    PageReading,
    QuestionKind,
    SheetReading,
)
from sessions_app.reading.page import PX_PER_MM
from sessions_app.services import background, paper, reading

from .common import post_or_back, use_process_language
from .paper import (
    facilitated_session,
    printed_questions,
    question_errors,
    vote_words,
)
from .reading_words import capture_hint, outcome_message, reason_words, refusal_words

VOTES = ("agree", "disagree", "pass")


def _scan_from(request, session: LiveSession, field: str, origin: str) -> FormScan:
    """The uploaded file ``field`` taken for reading (``reading.scan_add``'s refusals)."""
    upload = request.FILES.get(field)
    if upload is None:
        raise InputRejected("not_image")
    if upload.size > reading.MAX_FILE_BYTES:
        raise InputRejected("file_too_large")
    return reading.scan_add(
        user=request.user, session=session, data=upload.read(), name=upload.name, origin=origin
    )


# --- the teller's camera ------------------------------------------------------------------


@login_required
@post_or_back(lambda session_id: reverse("paper:teller_session", args=[session_id]))
@body_limit(reading.MAX_FILE_BYTES)
async def teller_photo(request, session_id: int):
    """A teller's photo of one page: read at once, the outcome shown. Asynchronous, so
    that the image work runs in the low-priority worker process rather than in the
    server's threads, which share a core with the phones' sockets
    (``reading.scan_read_async``)."""
    typed = await sync_to_async(_code_taken)(request, session_id)  # the body is read here
    if typed is not None:
        return await _photo_code(request, typed)
    taken = await sync_to_async(_photo_taken)(request, session_id)
    if not isinstance(taken, tuple):
        return taken
    scan, session, user = taken
    outcomes = await reading.scan_read_async(scan, user=user)
    return await sync_to_async(_photo_result)(request, session, outcomes, scan=scan)


async def _photo_code(request, typed):
    """The sheet code typed for a photo whose QR code could not be read: the same photo
    read again with it (``reading.page_read_typed_async``), no new upload. A refused code
    shows the form again with the reason."""
    scan, session, index, code, form_page = typed
    try:
        outcome = await reading.page_read_typed_async(
            user=request.user, scan=scan, index=index, code=code, form_page=form_page
        )
    except (InputRejected, AccessDenied) as error:
        outcomes = await sync_to_async(reading.scan_outcomes)(scan)
        return await sync_to_async(_photo_result)(
            request, session, outcomes, scan=scan, code_error=error.message, status=400
        )
    return await sync_to_async(_photo_result)(request, session, [outcome], scan=scan)


def _code_taken(request, session_id: int):
    """The teller's scan and page waiting for a code, and what they typed; None for a
    photo (no code typed); 404 for a scan that is not theirs or a page that waits for no
    code."""
    if "code" not in request.POST:
        return None
    session = get_object_or_404(LiveSession.objects.select_related("process"), pk=session_id)
    if not permissions.has_capability(request.user, session.process, "enter_paper"):
        raise Http404
    scan = get_object_or_404(
        FormScan.objects.select_related("session__process"),
        pk=_number(request.POST.get("scan")),
        session=session,
        created_by=request.user,
    )
    return (scan, session, *_typed_fields(request, scan))


def _typed_fields(request, scan: FormScan) -> tuple[int, str, int | None]:
    """The page of ``scan`` a code was typed for, the code and the form's page number;
    404 for a page that waits for no code (read already, or never found)."""
    index = _number(request.POST.get("index"))
    if index is None or not reading.awaits_code(scan, index):
        raise Http404
    return index, request.POST.get("code", "")[:64], _number(request.POST.get("form_page"))


def _number(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _pages_in_session(session: LiveSession) -> int:
    """The most pages a form of the session has (a page number is asked only then)."""
    return max(
        (len(data.get("pages", [])) for data in session.layouts.values_list("data", flat=True)),
        default=1,
    )


def _photo_taken(request, session_id: int):
    """The photo checked and kept for reading (with its session and the teller), or the
    page saying why not."""
    session = get_object_or_404(LiveSession.objects.select_related("process"), pk=session_id)
    if not permissions.has_capability(request.user, session.process, "enter_paper"):
        raise Http404
    try:
        scan = _scan_from(request, session, "photo", FormScan.Origin.PHOTO)
        return scan, session, request.user  # already loaded by the capability check
    except (InputRejected, AccessDenied) as error:
        # The same photo sent again by the same teller (a double tap, a retry after a
        # lost connection): refused, and what became of it the first time is shown.
        earlier = (
            reading.earlier_scan(request.FILES["photo"], user=request.user, session=session)
            if getattr(error, "code", "") == "same_image"
            else None
        )
        outcomes = reading.scan_outcomes(earlier) if earlier is not None else []
        # A page of it whose QR code could not be read still takes a typed code.
        return _photo_result(
            request, session, outcomes, scan=earlier, error=error.message, status=400
        )


def _photo_result(
    request, session, outcomes, *, scan=None, error=None, code_error=None, status=None
):
    use_process_language(request, session.process)
    finished = [o for o in outcomes if o.reading is not None and o.status not in ("pages",)]
    described = []
    for outcome in outcomes:
        # The page was found but its QR code not read: the teller may type its code.
        code = _code_asked(scan, outcome) if scan is not None else None
        described.append(
            {
                "outcome": outcome,
                "message": outcome_message(outcome),
                "hint": capture_hint(outcome.capture) if outcome.status != "refused" else "",
                "answers": _read_answers(outcome.reading) if outcome in finished else None,
                "token": paper.sheet_token(outcome.sheet) if outcome.sheet is not None else "",
                "ask_code": code is not None,
                "code_read": code["read"] if code else "",
            }
        )
    asked = any(item["ask_code"] for item in described)
    refused = any(o.status == "refused" for o in outcomes)
    return render(
        request,
        "paper/photo_result.html",
        {
            "session": session,
            "error": error,
            "outcomes": described,
            # Nothing in the photo was read: the heading must not say it was.
            "unread": bool(error)
            or (bool(outcomes) and all(o.status == "refused" for o in outcomes)),
            "votes": vote_words(),
            "client_id": uuid.uuid4().hex,
            "scan": scan,
            "code_error": code_error,
            "typed_code": request.POST.get("code", "")[:64] if code_error else "",
            "typed_page": _number(request.POST.get("form_page")) if code_error else None,
            # The photo's address takes a POST only: the language switch returns to the
            # session's page.
            "language_next": reverse("paper:teller_session", args=[session.pk]),
            "form_pages": range(1, _pages_in_session(session) + 1) if asked else (),
        },
        status=status or (422 if refused else 200),
    )


def _read_answers(sheet_reading: SheetReading, questions=None) -> list[dict]:
    """The reading's answers question by question, numbered and ordered as printed; a
    statements question as the form has it, a row per statement with its crossed
    column (``votes``)."""
    rows = []
    for question in questions or printed_questions(sheet_reading.sheet):
        value = sheet_reading.answers.get(str(question.pk))
        if value is None:
            continue
        answer = value["answer"]
        votes = None
        if question.kind == QuestionKind.STATEMENTS:
            given = (answer or {}).get("votes", {})
            votes = [
                {"text": option.text, "vote": given.get(str(option.pk), "")}
                for option in question.printed
            ]
        rows.append(
            {
                "question": question,
                "answer": answer,
                "votes": votes,
                "proposal": (answer or {}).get("proposal", "") if votes is not None else "",
                "sure": value["sure"],
                "confidence": value["confidence"],
                "reasons": [reason_words(code) for code in value["reasons"]],
            }
        )
    return rows


@login_required
@post_or_back(lambda reading_id: reverse("paper:teller_home"))
def reading_confirm(request, reading_id: int):
    """Under double entry: the teller confirms what the reader read (the second entry)."""
    sheet_reading = get_object_or_404(
        SheetReading.objects.select_related("sheet__session__process", "entry"), pk=reading_id
    )
    session = sheet_reading.sheet.session
    if not permissions.has_capability(request.user, session.process, "enter_paper"):
        raise Http404
    use_process_language(request, session.process)
    # This address takes a POST only: the language switch returns to the session's page.
    back = reverse("paper:teller_session", args=[session.pk])
    context = {"session": session, "language_next": back}
    try:
        outcome = reading.reading_confirm(
            user=request.user,
            reading=sheet_reading,
            client_id=request.POST.get("client_id", "")[:64],
        )
    except (InputRejected, AccessDenied) as error:
        return render(
            request, "paper/refused.html", {**context, "message": error.message}, status=409
        )
    return render(
        request,
        "paper/entered.html",
        {**context, "sheet": sheet_reading.sheet, "outcome": outcome},
    )


# --- the facilitator's scans ---------------------------------------------------------------


@login_required
@require_POST
@body_limit(reading.MAX_FILE_BYTES)
def scan_upload(request, slug: str, session_id: int):
    """A scanner's PDF (or photos) of many forms, read in the background."""
    session = facilitated_session(request, slug, session_id)
    try:
        scan = _scan_from(request, session, "scan", FormScan.Origin.UPLOAD)
    except (InputRejected, AccessDenied) as error:
        messages.error(request, error.message)
        return redirect("paper:page", slug=slug, session_id=session.pk)
    reading.start_reading(scan)
    return redirect("paper:scan", slug=slug, session_id=session.pk, scan_id=scan.pk)


def _scan_status(scan: FormScan) -> str:
    return _("Pages: %(done)d of %(total)d (%(state)s).") % {
        "done": scan.progress,
        "total": scan.pages,
        "state": scan.get_state_display(),
    }


@login_required
def scan_page(request, slug: str, session_id: int, scan_id: int):
    session = facilitated_session(request, slug, session_id)
    scan = get_object_or_404(FormScan, pk=scan_id, session=session)
    if scan.state == FormScan.State.PENDING:
        background.dispatch()  # still queued: starts now if a slot is free
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "state": scan.state,
                "progress": scan.progress,
                "total": scan.pages,
                "status": _scan_status(scan),
            }
        )
    return _scan_page(request, session, scan)


def _scan_page(request, session, scan: FormScan, refused: dict | None = None, status: int = 200):
    """The scan's page; ``refused``: a code typed for one of its pages and refused (the
    page's ``index``, the code ``typed``, the page number ``chosen`` and the ``error``),
    shown in that page's row."""
    done = scan.state == FormScan.State.DONE
    outcomes = reading.scan_outcomes(scan) if done else []
    # An uploaded file (a scanner's, as a rule): the advice is the scanner's.
    scanned = scan.origin == FormScan.Origin.UPLOAD
    summary = reading.scan_summary(scan) if done else None

    def asked(outcome) -> dict | None:
        code = _code_asked(scan, outcome)
        if code is not None and refused is not None and refused["index"] == outcome.index:
            code.update(refused)
        return code

    return render(
        request,
        "paper/scan.html",
        {
            "session": session,
            "process": session.process,
            "scan": scan,
            "status": _scan_status(scan),
            "stale": reading.is_stale(scan),
            # Shown at the code's POST-only address too: the switch returns here.
            "language_next": reverse(
                "paper:scan", args=[session.process.slug, session.pk, scan.pk]
            ),
            "outcomes": [
                (outcome, outcome_message(outcome, scanned=scanned), asked(outcome))
                for outcome in outcomes
            ],
            "form_pages": range(1, _pages_in_session(session) + 1),
            # Pictures that can lose a light mark: what to do, once for each kind.
            "hints": [
                capture_hint(c, scanned=scanned)
                for c in sorted({o.capture for o in outcomes} - {""})
            ],
            "summary": summary,
            "refused": [
                (code, count, refusal_words(code, scanned=scanned))
                for code, count in sorted(summary.refused.items())
            ]
            if summary
            else [],
        },
        status=status,
    )


@login_required
@post_or_back(
    lambda slug, session_id, scan_id: reverse("paper:scan", args=[slug, session_id, scan_id])
)
async def scan_code(request, slug: str, session_id: int, scan_id: int):
    """The sheet code typed for a page of a scan whose QR code could not be read: that
    page read again from the file with it (``reading.page_read_typed_async``, the image
    work in the worker process). What became of it, or why the code was refused, is told
    above the scan's page, which is shown again at that page; a refused code is told in
    that page's row, beside what was typed (status 400)."""
    taken = await sync_to_async(_scan_code_taken)(request, slug, session_id, scan_id)
    scan, session, index, code, form_page = taken
    try:
        outcome = await reading.page_read_typed_async(
            user=request.user, scan=scan, index=index, code=code, form_page=form_page
        )
    except (InputRejected, AccessDenied) as error:
        refused = {"index": index, "typed": code, "chosen": form_page, "error": error.message}
        return await sync_to_async(_scan_page)(request, session, scan, refused, status=400)
    else:
        scanned = scan.origin == FormScan.Origin.UPLOAD
        message = await sync_to_async(outcome_message)(outcome, scanned=scanned)
        await sync_to_async(messages.success)(
            request, _("Page %(page)d: %(outcome)s") % {"page": index + 1, "outcome": message}
        )
    url = reverse("paper:scan", args=[session.process.slug, session.pk, scan.pk])
    return redirect(f"{url}#scan-page-{index + 1}")


def _scan_code_taken(request, slug: str, session_id: int, scan_id: int):
    """The facilitator's scan and page waiting for a code, and what was typed; 404 for a
    page that waits for no code."""
    session = facilitated_session(request, slug, session_id)
    scan = get_object_or_404(FormScan, pk=scan_id, session=session)
    return (scan, session, *_typed_fields(request, scan))


def _code_asked(scan: FormScan, outcome) -> dict | None:
    """For a page found whose QR code could not be read, while the file is kept (the
    teller's photo or the facilitator's scan): ``read``, the code printed under it when
    the reader could read it and it names a sheet of the session, to be checked against
    the paper, else ""; None for any other page."""
    if outcome.reason != "qr_unreadable" or not scan.file:
        return None
    return {"read": readable(outcome.detail) if len(outcome.detail) == 8 else ""}


@login_required
@require_POST
def scan_resume(request, slug: str, session_id: int, scan_id: int):
    """Read the rest of a scan whose background reading was lost."""
    session = facilitated_session(request, slug, session_id)
    scan = get_object_or_404(FormScan, pk=scan_id, session=session)
    try:
        reading.scan_resume(user=request.user, scan=scan)
    except (InputRejected, AccessDenied) as error:
        messages.error(request, error.message)
    return redirect("paper:scan", slug=slug, session_id=session.pk, scan_id=scan.pk)


@login_required
def scan_file(request, slug: str, session_id: int, scan_id: int):
    """The file as it was given: the evidence."""
    session = facilitated_session(request, slug, session_id)
    scan = get_object_or_404(FormScan, pk=scan_id, session=session)
    path = reading.scan_path(scan)
    if path is None or not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), filename=f"{scan.sha256[:16]}{path.suffix}")


# --- review ----------------------------------------------------------------------------------


@login_required
def reading_page(request, slug: str, session_id: int, reading_id: int):
    """One sheet's reading: in review, the form to confirm or correct it beside the crops
    of its boxes; otherwise what was read and the evidence."""
    session = facilitated_session(request, slug, session_id)
    sheet_reading = get_object_or_404(
        SheetReading.objects.select_related("sheet", "entry"), pk=reading_id, sheet__session=session
    )
    sheet = sheet_reading.sheet
    questions = printed_questions(sheet)
    in_review = sheet_reading.status == SheetReading.Status.REVIEW
    data = None
    status = 200
    errors: dict[str, str] = {}
    form_error = None
    # "Set aside" asks first (``ask_drop``): the answers read would no longer count, and a
    # teller would type the whole form. ``drop`` sets it aside.
    action = request.POST.get("action") if request.method == "POST" else None
    asking_drop = in_review and action == "ask_drop"
    if action == "drop":
        try:
            reading.reading_drop(user=request.user, reading=sheet_reading)
        except (InputRejected, AccessDenied) as error:
            messages.error(request, error.message)
            status = 400
        else:
            messages.success(request, _("The reading is set aside; a teller can type the form."))
            return redirect("paper:page", slug=slug, session_id=session.pk)
    elif request.method == "POST" and action != "ask_drop":
        # Each question checked on its own, as the teller's form does: every problem is
        # shown beside its question and listed at the top.
        answers, errors = question_errors(sheet, request.POST, questions)
        if not errors:
            try:
                reading.reading_settle(user=request.user, reading=sheet_reading, answers=answers)
            except (InputRejected, AccessDenied) as error:
                form_error = error.message
            else:
                counted = _("Form %(number)d is counted.") % {"number": sheet.serial}
                messages.success(request, counted)
                following = reading.review_queue(session=session).first()
                if following is not None:
                    return redirect(
                        "paper:reading", slug=slug, session_id=session.pk, reading_id=following.pk
                    )
                return redirect("paper:page", slug=slug, session_id=session.pk)
        data, status = request.POST, 400
    pages = list(reading.current_pages(sheet_reading).values())
    context = {
        "session": session,
        "process": session.process,
        "sheet": sheet,
        "reading": sheet_reading,
        "in_review": in_review,
        "questions": questions,
        "crops": _crops(pages, questions),
        "reasons": {
            key: [reason_words(code) for code in value["reasons"]]
            for key, value in sheet_reading.answers.items()
        },
        "data": data if data is not None else _as_form_data(sheet_reading.answers, questions),
        "pages": pages,
        "votes": vote_words(),
        "client_id": uuid.uuid4().hex,
        "answers": _read_answers(sheet_reading, questions),
        "queue": reading.review_queue(session=session).count(),
        "errors": errors,
        "error_list": [(q, errors[str(q.pk)]) for q in questions if str(q.pk) in errors],
        "form_error": form_error,
        "asking_drop": asking_drop,
    }
    return render(request, "paper/reading.html", context, status=status)


def _as_form_data(answers: dict, questions) -> QueryDict:
    """The reading's sure answers as the teller form's fields (``views.paper.entry_answers``
    reads them back), so that a right reading is confirmed with one tap."""
    data = QueryDict(mutable=True)
    kinds = {str(q.pk): q.kind for q in questions}
    for key, value in answers.items():
        answer, prefix = value.get("answer"), f"q{key}-"
        if not answer:
            continue
        kind = kinds.get(key)
        if kind == QuestionKind.SINGLE_CHOICE:
            data[prefix + "option"] = str(answer["option"])
        elif kind == QuestionKind.MULTIPLE_CHOICE:
            data.setlist(prefix + "options", [str(o) for o in answer["options"]])
        elif kind == QuestionKind.SCALE:
            data[prefix + "value"] = str(answer["value"])
        elif kind == QuestionKind.RANKING:
            for place, option in enumerate(answer["ranking"], start=1):
                data[f"{prefix}rank_{option}"] = str(place)
        elif kind == QuestionKind.STATEMENTS:
            for statement, vote in answer.get("votes", {}).items():
                data[f"{prefix}vote_{statement}"] = vote
    return data


def _crops(pages: list[PageReading], questions) -> dict[str, list[dict]]:
    """Question id → the pictures of its boxes and writing areas as the reader saw them,
    each with what it is and what was read."""
    labels = _labels(questions)
    crops: dict[str, list[dict]] = {}
    margin = round(2 * PX_PER_MM)
    for page in pages:
        image = cv2.imread(str(reading.readings_dir() / page.image), cv2.IMREAD_GRAYSCALE)
        if image is None:
            continue
        for box in page.boxes:
            x, y, w, h = box["found"]
            crop = image[max(0, y - margin) : y + h + margin, max(0, x - margin) : x + w + margin]
            key = box["key"]
            crops.setdefault(str(key["question"]), []).append(
                {
                    "src": _data_uri(crop, ".png"),
                    "label": labels.get(_label_key(key), ""),
                    "state": box["state"],
                    "state_words": _state_words(box["state"]),
                }
            )
        for area in page.areas:
            stray = area["key"]["kind"] == "stray"
            if stray and not area["written"]:
                continue  # the question's part of the page, clean: nothing to look at
            x, y, w, h = area["found"]
            crop = image[y : y + h, x : x + w]
            if stray:
                label, words = _("Ink beside the boxes"), _("ink found")
            else:
                label = (
                    _("Written on the form")
                    if area["key"]["kind"] == "text"
                    else _("Own statement written on the form")
                )
                words = _("written") if area["written"] else _("empty")
            crops.setdefault(str(area["key"]["question"]), []).append(
                {
                    "src": _data_uri(crop, ".jpg"),
                    "label": label,
                    "state": "written" if area["written"] else "empty",
                    "state_words": words,
                    "area": True,
                }
            )
    return crops


def _label_key(key: dict) -> tuple:
    return tuple(sorted((k, v) for k, v in key.items() if k != "question"))


def _labels(questions) -> dict[tuple, str]:
    """What each box stands for, in words."""
    labels: dict[tuple, str] = {}
    vote_words = {"agree": _("agree"), "disagree": _("disagree"), "pass": _("pass")}
    for question in questions:
        for option in question.printed:
            labels[(("option", option.pk),)] = option.text
            # A statement's own full stop is not followed by the colon ("… plein.: eens").
            text = option.text.rstrip(" .")
            for vote in VOTES:
                labels[(("statement", option.pk), ("vote", vote))] = f"{text}: {vote_words[vote]}"
            for place in range(1, len(question.printed) + 1):
                labels[(("option", option.pk), ("rank", place))] = _(
                    "%(option)s: place %(place)d"
                ) % {"option": text, "place": place}
            for digit in range(8):
                labels[(("digit", digit), ("option", option.pk))] = _(
                    "%(option)s: digit %(digit)d from the right"
                ) % {"option": text, "digit": digit + 1}
        if question.kind == QuestionKind.SCALE:
            for value in question.scale_values:
                labels[(("value", value),)] = str(value)
    return labels


def _state_words(state: str) -> str:
    return {
        "empty": _("empty"),
        "marked": _("marked"),
        "filled": _("filled in (taken back)"),
        "unsure": _("unsure"),
    }.get(state, state)


def _data_uri(image, suffix: str) -> str:
    if image.shape[1] > 900:
        scale = 900 / image.shape[1]
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    _ok, encoded = cv2.imencode(suffix, image)
    kind = "png" if suffix == ".png" else "jpeg"
    return f"data:image/{kind};base64," + base64.b64encode(encoded.tobytes()).decode()


@login_required
def page_image(request, slug: str, session_id: int, page_id: int):
    """A page as the reader straightened it."""
    session = facilitated_session(request, slug, session_id)
    page = get_object_or_404(PageReading, pk=page_id, sheet__session=session)
    path = reading.readings_dir() / page.image if page.image else None
    if path is None or not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), content_type="image/jpeg")
