"""Reading paper forms from photos and scans: a teller's photo of one page, a scanner's
PDF of many forms, a file on the command line. The pure image work is
``sessions_app.reading``; this module checks what the forms' QR codes say against the
database and turns readings into sheet entries, through the same paper service as a
teller's typing (``paper.entry_add``).

- A file (``FormScan``) is evidence: its SHA-256 is unique, so the same file is refused
  the second time (``same_image``); it is kept, with the reader version, when a form was
  found in it, and linked from the sheet through its page readings.
- Each page (``PageReading``) is found, straightened and its QR code checked: signature
  (``sheet_forged``), printed (``unknown_sheet``), this session (``sheet_other_session``),
  not voided, not counted (``sheet_counted``: a photocopy), layout version
  (``layout_mismatch``, ``layout_unsupported``). Then its boxes and writing areas are read.
- A page whose QR code could not be read (``qr_unreadable``) can be read again from the
  same file with the sheet code printed under the QR code, typed by a teller
  (``page_read_typed``): the code must name a printed sheet of the session and every
  check above still applies; the layout is the sheet's own.
- When every page of a sheet has been read, the sheet's reading (``SheetReading``) is
  decided: all answers sure → an entry by the reader (counted at once under single entry;
  one of the two entries under double entry, the teller's confirmation or a second
  reading being the other); anything unsure → the review queue, where a facilitator
  confirms or corrects it beside the crops of its boxes.

Refusal codes (``InputRejected``): ``file_too_large``, ``not_image``, ``same_image``;
per page (``PageOutcome.reason``): ``no_form``, ``corner_missing``, ``poor_fit``,
``qr_unreadable``, ``qr_foreign``, ``sheet_forged``, ``unknown_sheet``,
``sheet_other_session``, ``sheet_voided``, ``sheet_counted``, ``sheet_in_review``,
``paper_closed``, ``layout_mismatch``, ``layout_unsupported``, ``page_read``. A page
photographed again replaces the earlier photo of it, also while the sheet's reading
waits for review (the teller was asked to take a blurred photo again): the sheet is
decided again with it. Review and confirmation: ``reading_not_in_review``,
``reading_not_waiting``, and the entry codes of ``services.paper``; a lost background
read: ``scan_not_stale``.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from printables.layout import FORMAT, frame
from sessions_app import permissions
from sessions_app.exceptions import InputRejected
from sessions_app.models import (
    EntryMethod,
    EntryState,
    FormLayout,
    FormScan,
    LiveSession,
    PageReading,
    PaperSheet,
    SheetEntry,
    SheetReading,
    SheetState,
)
from sessions_app.reading import code as code_reading
from sessions_app.reading import work
from sessions_app.reading.answers import read_answers
from sessions_app.reading.marks import Area, Box
from sessions_app.reading.page import (
    READER_VERSION,
    TIFF_MAGIC,
    ReadRefused,
    describe,
    find_page,
    iter_images,
)
from sessions_app.workers import run_in_worker

from . import background, paper
from .background import start_command
from .log import actor_for, log_append

logger = logging.getLogger(__name__)

#: A phone photo or a scanner's PDF of a few hundred pages.
MAX_FILE_BYTES = 100 * 1024 * 1024
#: The most pages a file may have, by where it came from: a teller photographs a form,
#: which has a handful of pages; a scanner's file holds a stack of forms.
MAX_PAGES = {FormScan.Origin.PHOTO: 8, FormScan.Origin.UPLOAD: 1000, FormScan.Origin.COMMAND: 1000}
#: A scan still "being read" with no page read for this long was lost (a restart).
STALE_AFTER = timezone.timedelta(minutes=15)
Status = SheetReading.Status


def readings_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "readings"


@dataclass
class PageOutcome:
    """What became of one page of a file. ``status``: ``refused`` (``reason`` says why),
    ``pages`` (the sheet's other pages are still to be read), ``counted``, ``waiting``
    (one of two entries: the other is still to come), ``conflict`` (differs from the other
    entry), ``review``."""

    index: int
    status: str
    reason: str = ""
    detail: str = ""
    sheet: PaperSheet | None = None
    form_page: int | None = None
    reading: SheetReading | None = None
    missing_pages: list[int] = field(default_factory=list)
    #: A picture that can lose a light mark without a trace, or blurs it
    #: (``marks.capture_of``): ``black_white``, ``photocopy``, ``coarse``, ``blurred``;
    #: "" for none.
    capture: str = ""

    def as_json(self) -> dict:
        """The command line's and the progress page's view of it."""
        answers = self.reading.answers if self.reading is not None else {}
        return {
            "page": self.index + 1,
            "sheet": self.sheet.code if self.sheet is not None else None,
            "form_page": self.form_page,
            "status": self.status,
            "reason": self.reason or None,
            "detail": self.detail or None,
            "missing_pages": self.missing_pages,
            "capture": self.capture or None,
            "answers": answers if self.status not in ("refused", "pages") else {},
        }


STATUS_OF_READING = {
    Status.COUNTED: "counted",
    Status.SETTLED: "counted",
    Status.ENTERED: "waiting",
    Status.CONFLICT: "conflict",
    Status.REVIEW: "review",
    Status.PAGES: "pages",
    Status.DROPPED: "refused",
}


# --- files --------------------------------------------------------------------------------


def scan_add(
    *, user, session: LiveSession | None, data: bytes, name: str = "", origin: str
) -> FormScan:
    """Take a file to read: a photo (JPEG, PNG, or what else OpenCV reads), or a scanner's
    PDF or multi-page TIFF.
    Nothing is read yet (``scan_read``). Raises ``AccessDenied`` (``enter_paper`` on the
    session's process); ``InputRejected`` with ``file_too_large``, ``not_image`` (and
    nothing is kept) and ``same_image`` (this very file was given before). ``user`` None
    is the ``read_forms`` command."""
    if user is not None:
        permissions.require(user, session.process, "enter_paper")
    if len(data) > MAX_FILE_BYTES:
        raise InputRejected("file_too_large")
    try:
        # From the file's headers: nothing is decoded in the server.
        _kind, pages = describe(data, max_pages=MAX_PAGES[origin])
    except ReadRefused as refused:
        raise InputRejected(refused.code) from None
    digest = hashlib.sha256(data).hexdigest()
    if FormScan.objects.filter(sha256=digest).exists():
        raise InputRejected("same_image")
    suffix = _suffix(data)
    path = readings_dir() / f"{digest}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        return FormScan.objects.create(
            session=session,
            sha256=digest,
            name=(name or "")[:200],
            size=len(data),
            file=path.name,
            origin=origin,
            reader_version=READER_VERSION,
            pages=pages,
            created_by=user,
        )
    except IntegrityError:
        raise InputRejected("same_image") from None  # the same file at the same moment


def earlier_scan(upload, *, user, session: LiveSession) -> FormScan | None:
    """The scan this same file made when ``user`` gave it before for ``session``
    (``upload``: bytes or a file), to show what became of it; None for a file someone
    else gave, or gave for another session (whose answers this page does not show)."""
    data = upload if isinstance(upload, bytes) else _read_upload(upload)
    digest = hashlib.sha256(data).hexdigest()
    return FormScan.objects.filter(sha256=digest, created_by=user, session=session).first()


def _read_upload(upload) -> bytes:
    upload.seek(0)
    return upload.read()


def _suffix(data: bytes) -> str:
    if data[:5] == b"%PDF-":
        return ".pdf"
    if data[:3] == b"\xff\xd8\xff":
        return ".jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return ".png"
    if data[:4] in TIFF_MAGIC:
        return ".tif"
    return ".img"


def scan_path(scan: FormScan) -> Path | None:
    return readings_dir() / scan.file if scan.file else None


def start_reading(scan: FormScan) -> None:
    """Read a scan in the background (``manage.py read_scan``), after it is committed."""
    transaction.on_commit(lambda: start_command("read_scan", str(scan.pk)))


def scan_read(scan: FormScan, *, user=None) -> list[PageOutcome]:
    """Read every page of a waiting scan, saving progress as it goes. A scan already
    being read, or read, is not read again (its outcomes are returned). The file is given
    up if no form was found in it."""
    if not _claim(scan):
        return scan_outcomes(scan)
    done = set(scan.page_readings.values_list("index", flat=True))  # a resumed scan
    outcomes: list[PageOutcome] = []
    try:
        data = scan_path(scan).read_bytes()
        for index, gray in enumerate(iter_images(data)):
            if index not in done:
                outcomes.append(_read_page(scan, index, gray, user))
            _progress(scan, index)
    except Exception as error:  # a damaged PDF page, a full disk: say so on the page
        return _failed(scan, error, outcomes)
    return _finish(scan, outcomes, resumed=bool(done))


async def scan_read_async(scan: FormScan, *, user) -> list[PageOutcome]:
    """``scan_read`` for a teller's photo in a web request: the image work runs in the
    worker process of the lowest priority (``reading.work``, ``sessions_app.workers``),
    one page at a time, and only the database steps in the request's thread; the phones'
    answers are committed on a thread of their own (``sessions_app.writer``), so a photo
    being read never holds up an answer (``docs/paper-reading.md`` has the measurement).
    If the worker is lost while reading, the photo is refused (``read_failed``) and never
    read in the server instead."""
    db = sync_to_async
    if not await db(_claim)(scan):
        return await db(scan_outcomes)(scan)
    outcomes: list[PageOutcome] = []
    try:
        data = await asyncio.to_thread(scan_path(scan).read_bytes)
        pages = await run_in_worker(work.find_all, data, _frame())
        for index, found in enumerate(pages):
            if isinstance(found, tuple):
                found = ReadRefused(found[1], found[2])
            identified = await db(_identify)(scan, index, found)
            if isinstance(identified, _Identified):
                measured = await _measure_async(scan, index, found, identified.layout_page)
                identified = await db(_record)(
                    scan, index, found.fit_mm, identified, measured, user
                )
            outcomes.append(identified)
            await db(_progress)(scan, index)
    except BrokenProcessPool as error:
        outcomes.append(PageOutcome(index=len(outcomes), status="refused", reason="read_failed"))
        return await db(_failed)(scan, error, outcomes)
    except Exception as error:
        return await db(_failed)(scan, error, outcomes)
    return await db(_finish)(scan, outcomes)


def _claim(scan: FormScan) -> bool:
    claimed = FormScan.objects.filter(pk=scan.pk, state=FormScan.State.PENDING).update(
        state=FormScan.State.RUNNING
    )
    scan.refresh_from_db()
    return bool(claimed)


def _progress(scan: FormScan, index: int) -> None:
    FormScan.objects.filter(pk=scan.pk).update(progress=min(index + 1, scan.pages))


def _failed(scan: FormScan, error: Exception, outcomes: list[PageOutcome]) -> list[PageOutcome]:
    logger.error("reading scan %s failed", scan.pk, exc_info=error)
    FormScan.objects.filter(pk=scan.pk).update(
        state=FormScan.State.FAILED, error=str(error)[:500], finished_at=timezone.now()
    )
    scan.refresh_from_db()
    return outcomes


def _finish(scan: FormScan, outcomes: list[PageOutcome], resumed: bool = False) -> list:
    fields = {"state": FormScan.State.DONE, "finished_at": timezone.now()}
    if not resumed and all(
        outcome.sheet is None and outcome.reason != "qr_unreadable" for outcome in outcomes
    ):
        # No form in it: nothing to keep as evidence (and a photo may show people). A form
        # whose QR code could not be read is kept: a teller may type its code instead.
        scan_path(scan).unlink(missing_ok=True)
        fields["file"] = ""
    FormScan.objects.filter(pk=scan.pk).update(**fields)
    scan.refresh_from_db()
    return scan_outcomes(scan) if resumed else outcomes


def is_stale(scan: FormScan) -> bool:
    """Still "being read" long after the last page, and neither queued nor running here
    (``services.background``): its process was lost (a restart)."""
    return scan.state in (FormScan.State.PENDING, FormScan.State.RUNNING) and (
        timezone.now() - scan.created_at > STALE_AFTER
        and not scan.page_readings.filter(created_at__gt=timezone.now() - STALE_AFTER).exists()
        and not background.active("read_scan", str(scan.pk))
    )


def scan_resume(*, user, scan: FormScan) -> FormScan:
    """Read the rest of a scan whose reading was lost; the pages read stand. Raises
    ``AccessDenied`` and ``InputRejected("scan_not_stale")``."""
    permissions.require(user, scan.session.process, "facilitate")
    if not is_stale(scan):
        raise InputRejected("scan_not_stale")
    FormScan.objects.filter(pk=scan.pk).update(state=FormScan.State.PENDING)
    scan.refresh_from_db()
    start_reading(scan)
    return scan


def scan_outcomes(scan: FormScan) -> list[PageOutcome]:
    """The outcome of every page read so far, as it stands now."""
    outcomes = []
    for page in scan.page_readings.select_related("sheet__session", "sheet_reading").order_by(
        "index"
    ):
        if page.status == PageReading.Status.REFUSED:
            outcomes.append(
                PageOutcome(page.index, "refused", page.reason, page.detail, sheet=page.sheet)
            )
            continue
        reading = page.sheet_reading
        status = STATUS_OF_READING[reading.status]
        outcome = PageOutcome(
            page.index,
            status,
            "page_replaced" if status == "refused" else "",
            sheet=page.sheet,
            form_page=page.form_page,
            reading=reading,
            capture=page.capture,
        )
        if status == "pages":
            outcome.missing_pages = _missing_pages(reading)
        outcomes.append(outcome)
    return outcomes


@dataclass
class ScanSummary:
    """A scan's tally: pages read and refused (by reason), and its sheets by what became
    of them (``counted``, ``waiting``, ``conflict``, ``review``, ``pages``)."""

    pages: int
    read: int
    refused: dict[str, int]
    sheets: dict[str, int]


def scan_summary(scan: FormScan) -> ScanSummary:
    refused: dict[str, int] = {}
    sheets = dict.fromkeys(("counted", "waiting", "conflict", "review", "pages", "refused"), 0)
    seen = set()
    read = 0
    for outcome in scan_outcomes(scan):
        if outcome.status == "refused" and outcome.reading is None:
            refused[outcome.reason] = refused.get(outcome.reason, 0) + 1
            continue
        read += 1
        if outcome.reading.pk not in seen:
            seen.add(outcome.reading.pk)
            sheets[outcome.status] += 1
    return ScanSummary(scan.pages, read, refused, sheets)


# --- pages --------------------------------------------------------------------------------


@functools.cache
def _frame() -> dict:
    return frame()


def parse_qr(text: str) -> tuple[str, int, str]:
    """The sheet token, the form's page number and the layout version a form's QR code
    carries (``…/t/<token>/?p=2&v=L…``). Raises ``InputRejected("qr_foreign")``."""
    parts = urlsplit(text)
    segments = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)
    try:
        if len(segments) < 2 or segments[-2] != "t":
            raise ValueError
        page = int(query.get("p", ["1"])[0])
    except ValueError:
        raise InputRejected("qr_foreign") from None
    return segments[-1], page, query.get("v", [""])[0]


def _refuse(scan, index, code, detail="", sheet=None) -> PageOutcome:
    PageReading.objects.create(
        scan=scan,
        index=index,
        status=PageReading.Status.REFUSED,
        reason=code,
        detail=detail[:200],
        sheet=sheet,
    )
    return PageOutcome(index, "refused", code, detail, sheet=sheet)


@dataclass
class _Identified:
    """A page whose QR code names a sheet that may take it, and the layout page to read."""

    sheet: PaperSheet
    form_page: int
    version: str
    layout_page: dict


def _find(gray: np.ndarray):
    """Pure image work: the form in the picture, or the ``ReadRefused`` why not."""
    try:
        return find_page(gray, _frame())
    except ReadRefused as refused:
        return refused


def _printed_code(scan: FormScan, candidates: str) -> str:
    """Of the codes the print under an unreadable QR code may be (``code.candidates``),
    the one that names a printed sheet of the scan's session (of any session for the
    command line's files), for the teller to check against the paper: "" for none, or
    for more than one. Codes are drawn at random from 22⁸, so a misread names nothing."""
    codes = [c for c in candidates.split(",") if c][: code_reading.CANDIDATES]
    if not codes:
        return ""
    sheets = PaperSheet.objects.filter(code__in=codes)
    if scan.session_id is not None:
        sheets = sheets.filter(session_id=scan.session_id)
    named = list(sheets.values_list("code", flat=True)[:2])
    return named[0] if len(named) == 1 else ""


def _identify(scan: FormScan, index: int, found) -> _Identified | PageOutcome:
    """Database: which sheet the QR code names and whether it may be read now (a refused
    page is recorded and its outcome returned)."""
    if isinstance(found, ReadRefused):
        detail = found.detail
        if found.code == "qr_unreadable":
            detail = _printed_code(scan, detail)
        return _refuse(scan, index, found.code, detail)
    sheet = None
    try:
        token, form_page, version = parse_qr(found.qr_text)
        sheet = paper.sheet_from_token(token)
        return _Identified(sheet, form_page, version, _check(scan, sheet, form_page, version))
    except InputRejected as refused:
        return _refuse(scan, index, refused.code, sheet=sheet)


def _measure(scan: FormScan, index: int, found, layout_page: dict) -> tuple[list, list, str]:
    """Pure image work: every box and writing area read, and the straightened page kept
    for the review's crops."""
    image = _page_image(scan, index)
    boxes, areas, capture = work.measure(
        found.image, layout_page, str(readings_dir() / image), found.resolution
    )
    return boxes, areas, capture, image


async def _measure_async(scan: FormScan, index: int, found, layout_page: dict) -> tuple:
    """``_measure`` in the worker process."""
    image = _page_image(scan, index)
    boxes, areas, capture = await run_in_worker(
        work.measure, found.image, layout_page, str(readings_dir() / image), found.resolution
    )
    return boxes, areas, capture, image


def _page_image(scan: FormScan, index: int) -> str:
    """Where a page's straightened image is kept, under ``readings_dir()``."""
    return f"{scan.sha256}-{index}.jpg"


def _read_page(scan: FormScan, index: int, gray: np.ndarray, user) -> PageOutcome:
    found = _find(gray)
    identified = _identify(scan, index, found)
    if isinstance(identified, PageOutcome):
        return identified
    measured = _measure(scan, index, found, identified.layout_page)
    return _record(scan, index, found.fit_mm, identified, measured, user)


# --- a code typed for an unreadable QR code ------------------------------------------------


def awaits_code(scan: FormScan, index: int) -> bool:
    """Whether page ``index`` of ``scan`` was found but its QR code could not be read, and
    the file is still there to read it again with a typed code."""
    return (
        bool(scan.file)
        and scan.page_readings.filter(
            index=index, status=PageReading.Status.REFUSED, reason="qr_unreadable"
        ).exists()
    )


def _typed_identify(
    scan: FormScan, index: int, code: str, form_page: int | None, user
) -> tuple[_Identified, tuple[dict, str] | None, tuple[list[dict], int]]:
    """Database: the sheet a teller typed for a page whose QR code could not be read. The
    code is looked up as a teller's typed code is (``paper.sheet_from_code``: the printed
    code carries no signature, but it is unguessable and must name a sheet printed for
    this session); the layout version is the sheet's own. Raises ``AccessDenied`` and
    ``InputRejected`` (``page_read``: the page does not wait for a code;
    ``unknown_sheet``, ``sheet_other_session``, ``layout_mismatch``: no such page on the
    form, and the other checks of ``_check``). With it, where the layout prints the code
    and the code typed (it named the sheet), for comparing the two on the page
    (``reading.code``); None for a layout that does not say where. And the layout's pages
    with the page number, for telling whether the page is that one (``work.page_fits``:
    ``page_mismatch``)."""
    if scan.session is None:  # the command line's files: no session to type codes for
        raise InputRejected("page_read")
    permissions.require(user, scan.session.process, "enter_paper")
    if not awaits_code(scan, index):
        raise InputRejected("page_read")
    sheet = paper.sheet_from_code(session=scan.session, code=code)
    layout = _layout(sheet.session_id, sheet.layout_version) or {}
    if form_page is None:
        numbers = [page["number"] for page in layout.get("pages", [])]
        form_page = numbers[0] if len(numbers) == 1 else 0
    version = sheet.layout_version
    identified = _Identified(sheet, form_page, version, _check(scan, sheet, form_page, version))
    typed = (layout["code"], sheet.code) if "code" in layout else None
    return identified, typed, (layout.get("pages", []), form_page)


def _typed_qr_text(sheet: PaperSheet, form_page: int) -> str:
    """What the sheet's QR code says, for the page's record (never parsed again)."""
    return f"t/{paper.sheet_token(sheet)}/?p={form_page}&v={sheet.layout_version}"


def _typed_record(
    scan: FormScan, index: int, fit_mm: float, identified: _Identified, measured, user
) -> PageOutcome:
    """Database: the refused page gives way to its reading (``_record``), and the typed
    code is logged beside it."""
    with transaction.atomic():
        deleted, _ = scan.page_readings.filter(
            index=index, status=PageReading.Status.REFUSED, reason="qr_unreadable"
        ).delete()
        if not deleted:  # another request typed it first
            (readings_dir() / measured[2]).unlink(missing_ok=True)
            raise InputRejected("page_read")
        log_append(
            process=identified.sheet.session.process,
            action="paper.code_typed",
            actor=actor_for(user),
            data={
                "sheet": identified.sheet.code,
                "page": identified.form_page,
                "sha256": scan.sha256,
                "file_page": index + 1,
            },
        )
        return _record(scan, index, fit_mm, identified, measured, user)


def page_read_typed(
    *, user, scan: FormScan, index: int, code: str, form_page: int | None = None
) -> PageOutcome:
    """Read page ``index`` of ``scan`` again, from the same file, with the sheet code a
    teller typed from under its unreadable QR code (``form_page``: the page number, needed
    when the form has several pages). A refused code changes nothing. Raises
    ``AccessDenied`` and ``InputRejected`` (``_typed_identify``'s codes; ``code_mismatch``
    when the code printed on the page clearly is another one: the code of another sheet
    on the table; and the page's own: ``corner_missing`` …, should the page no longer be
    found)."""
    identified, typed, form = _typed_identify(scan, index, code, form_page, user)
    qr_text = _typed_qr_text(identified.sheet, identified.form_page)
    found = work.find_one(scan_path(scan).read_bytes(), _frame(), index, qr_text, typed, form)
    if isinstance(found, tuple):
        raise InputRejected(found[1])
    measured = _measure(scan, index, found, identified.layout_page)
    return _typed_record(scan, index, found.fit_mm, identified, measured, user)


async def page_read_typed_async(
    *, user, scan: FormScan, index: int, code: str, form_page: int | None = None
) -> PageOutcome:
    """``page_read_typed`` for a web request: the image work in the worker process, as
    ``scan_read_async`` does it."""
    db = sync_to_async
    identified, typed, form = await db(_typed_identify)(scan, index, code, form_page, user)
    data = await asyncio.to_thread(scan_path(scan).read_bytes)
    qr_text = _typed_qr_text(identified.sheet, identified.form_page)
    found = await run_in_worker(work.find_one, data, _frame(), index, qr_text, typed, form)
    if isinstance(found, tuple):
        raise InputRejected(found[1])
    measured = await _measure_async(scan, index, found, identified.layout_page)
    return await db(_typed_record)(scan, index, found.fit_mm, identified, measured, user)


def _record(
    scan: FormScan, index: int, fit_mm: float, identified: _Identified, measured, user
) -> PageOutcome:
    """Database: the page joins its sheet's reading, which is decided once every page is
    in. The sheet is checked again under its lock (another teller may have been first).
    A page of a sheet whose reading waits for review is taken as a retake: the reading
    is opened again, and decided again with the new photo of that page."""
    sheet, form_page, version = identified.sheet, identified.form_page, identified.version
    boxes, areas, capture, image = measured
    try:
        with transaction.atomic():
            sheet = paper.lock_sheet(sheet)
            _check(scan, sheet, form_page, version)
            reading = (
                SheetReading.objects.select_for_update()
                .filter(sheet=sheet, status__in=[Status.PAGES, Status.REVIEW])
                .first()
            )
            if reading is not None and reading.status == Status.REVIEW:
                reading.status = Status.PAGES  # decided again below, with the new photo
            if reading is None:
                reading = SheetReading.objects.create(sheet=sheet)
            PageReading.objects.create(
                scan=scan,
                index=index,
                status=PageReading.Status.READ,
                sheet=sheet,
                sheet_reading=reading,
                form_page=form_page,
                fit_mm=round(fit_mm, 3),
                boxes=boxes,
                areas=areas,
                capture=capture,
                image=image,
            )
            log_append(
                process=sheet.session.process,
                action="paper.read",
                actor=actor_for(user),
                data={
                    "sheet": sheet.code,
                    "page": form_page,
                    "sha256": scan.sha256,
                    "file_page": index + 1,
                    "reader": scan.reader_version,
                },
            )
            missing = _missing_pages(reading)
            if missing:
                return PageOutcome(
                    index,
                    "pages",
                    sheet=sheet,
                    form_page=form_page,
                    reading=reading,
                    missing_pages=missing,
                    capture=capture,
                )
            _decide(reading, sheet, user)
    except InputRejected as refused:
        (readings_dir() / image).unlink(missing_ok=True)
        return _refuse(scan, index, refused.code, sheet=sheet)
    return PageOutcome(
        index,
        STATUS_OF_READING[reading.status],
        sheet=sheet,
        form_page=form_page,
        reading=reading,
        capture=capture,
    )


def _check(scan: FormScan, sheet: PaperSheet, form_page: int, version: str) -> dict:
    """Refuse a page of a sheet that cannot take a reading now; its layout page."""
    if scan.session_id is not None and sheet.session_id != scan.session_id:
        raise InputRejected("sheet_other_session")
    paper.sheet_check(sheet)
    layout = _layout(sheet.session_id, sheet.layout_version)
    if layout is None or layout.get("format") != FORMAT:
        raise InputRejected("layout_unsupported")
    if version and version != sheet.layout_version:
        raise InputRejected("layout_mismatch")
    for page in layout["pages"]:
        if page["number"] == form_page:
            return page
    raise InputRejected("layout_mismatch")


@functools.lru_cache(maxsize=32)
def _layout(session_id: int, version: str) -> dict | None:
    """A stored layout (a version is a hash of its content: it never changes)."""
    row = FormLayout.objects.filter(session_id=session_id, version=version).first()
    return row.data if row is not None else None


def current_pages(reading: SheetReading) -> dict[int, PageReading]:
    """The latest reading of each of the sheet's pages, by page number, in order (a page
    photographed again replaces the earlier photo of it)."""
    pages: dict[int, PageReading] = {}
    for page in reading.pages.select_related("scan").order_by("id"):
        pages[page.form_page] = page
    return dict(sorted(pages.items()))


def _missing_pages(reading: SheetReading) -> list[int]:
    layout = _layout(reading.sheet.session_id, reading.sheet.layout_version)
    wanted = [page["number"] for page in layout["pages"]]
    have = current_pages(reading)
    return [number for number in wanted if number not in have]


def _decide(reading: SheetReading, sheet: PaperSheet, user) -> None:
    """All pages are in: read the answers and count, enter or send to review."""
    questions = paper.sheet_questions(sheet)
    rules = {q.pk: {"kind": q.kind, "max_choices": q.max_choices} for q in questions}
    pages = current_pages(reading).values()
    boxes = [
        Box(
            b["key"],
            b["state"],
            b["confidence"],
            b["strong"],
            b["faint"],
            b["low"],
            b["found"],
            b.get("span", 0.0),  # pages read before strokes were measured
            b.get("runs", 0.0),
            b.get("bend", 0.0),
            b.get("leaves", 0),
            b.get("stacked", False),
        )
        for page in pages
        for b in page.boxes
    ]
    areas = [
        Area(a["key"], a["written"], a["ink"], tuple(a["found"]), a.get("confidence", 1.0))
        for page in pages
        for a in page.areas
    ]
    read = read_answers(boxes, rules, areas)
    reading.answers = {
        str(question_id): {
            "answer": result.answer,
            "sure": result.sure,
            "confidence": result.confidence,
            "reasons": result.reasons,
        }
        for question_id, result in sorted(read.items())
    }
    if not all(result.sure for result in read.values()):
        _set(reading, Status.REVIEW)
        return
    answers = {str(q): r.answer for q, r in read.items() if r.answer is not None}
    try:
        clean = paper.parse_sheet_answers(sheet, answers, questions)
    except InputRejected as problem:  # read as marked, yet not an answer the form allows
        for result in reading.answers.values():
            result["sure"] = False
            result["reasons"] = [*result["reasons"], problem.code]
        _set(reading, Status.REVIEW)
        return
    outcome = paper.entry_add(
        sheet, clean, teller=None, actor=user, method=EntryMethod.PHOTO, printed=questions
    )
    reading.entry_id = outcome.entry_id
    status = {"counted": Status.COUNTED, "waiting": Status.ENTERED, "conflict": Status.CONFLICT}
    _set(reading, status[outcome.status])


def _set(reading: SheetReading, status: str, **fields) -> None:
    reading.status = status
    if status not in (Status.PAGES, Status.REVIEW):
        reading.decided_at = timezone.now()
    for name, value in fields.items():
        setattr(reading, name, value)
    reading.save()


# --- review and confirmation ------------------------------------------------------------


def reading_settle(*, user, reading: SheetReading, answers) -> paper.EntryOutcome:
    """A facilitator settles a reading in review with the answers they see on the crops
    (the reading's own, confirmed, or corrected): the sheet counts with them, as a
    settled conflict does. Raises ``AccessDenied``; ``InputRejected`` with
    ``reading_not_in_review``, ``sheet_counted`` / ``sheet_voided`` (the sheet was settled
    otherwise meanwhile: the reading is set aside) and the answer codes."""
    sheet = reading.sheet
    permissions.require(user, sheet.session.process, "facilitate")
    clean = paper.parse_sheet_answers(sheet, answers)
    with transaction.atomic():
        sheet = paper.lock_sheet(sheet)
        reading = SheetReading.objects.select_for_update().get(pk=reading.pk)
        if reading.status != Status.REVIEW:
            raise InputRejected("reading_not_in_review")
        stale = _stale(sheet)
        if stale:
            _set(reading, Status.DROPPED, reviewed_by=user)
        else:
            entry, logged = paper.entry_create(
                sheet, clean, teller=user, method=EntryMethod.RESOLUTION
            )
            sheet.entries.filter(state=EntryState.RECORDED).exclude(pk=entry.pk).update(
                state=EntryState.DISCARDED
            )
            paper.mark_verified(sheet)
            log_append(
                process=sheet.session.process,
                action="paper.reviewed",
                actor=actor_for(user),
                data={
                    "sheet": sheet.code,
                    "entry": entry.pk,
                    "answers": logged,
                    "read": {k: v["answer"] for k, v in reading.answers.items()},
                    "reasons": {
                        k: v["reasons"] for k, v in reading.answers.items() if v["reasons"]
                    },
                },
            )
            _set(reading, Status.SETTLED, reviewed_by=user, entry=entry)
            paper.count_entry(sheet, entry, actor=user)
    if stale:
        raise InputRejected(stale)
    return paper.EntryOutcome("counted", entry.pk, SheetState.COUNTED)


def _stale(sheet: PaperSheet) -> str:
    if sheet.state == SheetState.COUNTED:
        return "sheet_counted"
    if sheet.state == SheetState.VOIDED:
        return "sheet_voided"
    return ""


def reading_drop(*, user, reading: SheetReading) -> SheetReading:
    """Set a reading in review aside (the photo is no use: a teller types the form
    instead). Raises ``AccessDenied`` and ``InputRejected("reading_not_in_review")``."""
    permissions.require(user, reading.sheet.session.process, "facilitate")
    with transaction.atomic():
        reading = (
            SheetReading.objects.select_for_update().select_related("sheet").get(pk=reading.pk)
        )
        if reading.status != Status.REVIEW:
            raise InputRejected("reading_not_in_review")
        _set(reading, Status.DROPPED, reviewed_by=user)
        log_append(
            process=reading.sheet.session.process,
            action="paper.reading_dropped",
            actor=actor_for(user),
            data={"sheet": reading.sheet.code, "reading": reading.pk},
        )
    return reading


def reading_confirm(*, user, reading: SheetReading, client_id: str) -> paper.EntryOutcome:
    """A teller confirms, under double entry, that the reader read the form right: their
    confirmation is the second entry and the sheet counts. A repeated ``client_id``
    returns the first outcome. Raises ``AccessDenied`` and ``InputRejected`` with
    ``reading_not_waiting`` and the entry codes (``sheet_counted`` …)."""
    permissions.require(user, reading.sheet.session.process, "enter_paper")
    entry = reading.entry
    if reading.status != Status.ENTERED or entry is None or entry.state != EntryState.RECORDED:
        replay = SheetEntry.objects.filter(teller=user, client_id=client_id).first()
        if replay is None or not client_id:
            raise InputRejected("reading_not_waiting")
    return paper.sheet_entry_record(
        user=user,
        sheet=reading.sheet,
        answers=entry.answers,
        client_id=client_id,
        method=EntryMethod.CONFIRMATION,
    )


def review_queue(*, session: LiveSession):
    """The readings of ``session`` waiting for a person, oldest first."""
    return (
        SheetReading.objects.filter(sheet__session=session, status=Status.REVIEW)
        .select_related("sheet")
        .order_by("created_at", "id")
    )
