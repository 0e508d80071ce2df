"""Reading forms from photos and scans, through the database: a sure reading counts (or is
one of two entries), unsure ones wait for review, every bad input is refused with its
reason and counts nothing, and the image is kept as evidence."""

import hashlib
import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.management import call_command
from django.core.signing import Signer
from PIL import Image

from printables import paper_form
from printables.strings import form_strings
from sessions_app.exceptions import InputRejected
from sessions_app.models import (
    EntryMethod,
    EntryMode,
    FormScan,
    LogEntry,
    PageReading,
    Process,
    Response,
    ResponseStatus,
    SheetEntry,
    SheetReading,
    SheetState,
    Source,
)
from sessions_app.reading.synthetic import PHOTO_DPI, draw_mark, photograph, render_pdf_page
from sessions_app.services import paper, reading, reconciliation
from sessions_app.services.live_sessions import live_session_create
from sessions_app.services.printing import sheet_url
from sessions_app.views.reading_words import outcome_message
from tests.conftest import session_spec
from tests.paper_fixtures import option
from tests.reading_helpers import BASE, box_matches, layout_of, photos, scanned_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(paper_session):
    """Marks for a sure reading: an option, a scale value, two statement votes."""
    _session, q = paper_session
    statements = list(q["statements"].options.order_by("position"))
    marks = [
        ("cross", q["choice"].pk, {"option": option(q["choice"], 1)}),
        ("tick", q["multiple"].pk, {"option": option(q["multiple"], 0)}),
        ("light_tick", q["scale"].pk, {"value": q["scale"].scale_values[2]}),
        ("cross", q["statements"].pk, {"statement": statements[0].pk, "vote": "agree"}),
        ("tick", q["statements"].pk, {"statement": statements[1].pk, "vote": "pass"}),
    ]
    expected = {
        str(q["choice"].pk): {"option": option(q["choice"], 1)},
        str(q["multiple"].pk): {"options": [option(q["multiple"], 0)]},
        str(q["scale"].pk): {"value": q["scale"].scale_values[2]},
        str(q["statements"].pk): {
            "votes": {str(statements[0].pk): "agree", str(statements[1].pk): "pass"},
            "proposal": "",
        },
    }
    return marks, expected


def read(user, session, data, origin=FormScan.Origin.PHOTO):
    scan = reading.scan_add(user=user, session=session, data=data, origin=origin)
    return reading.scan_read(scan, user=user)


def read_all(user, session, shots):
    return [outcome for shot in shots for outcome in read(user, session, shot)]


def counted(session):
    return Response.objects.filter(
        question__session=session, source=Source.PAPER, status=ResponseStatus.COUNTED
    ).count()


def test_a_sure_reading_of_every_page_counts_the_sheet(paper_session, printed, teller, filled):
    session, _q = paper_session
    [sheet] = printed(1)
    marks, expected = filled
    shots = photos(sheet, marks)
    assert len(shots) >= 2  # the form has more than one page: read together
    outcomes = read_all(teller, session, shots)
    assert [o.status for o in outcomes[:-1]] == ["pages"] * (len(shots) - 1)
    assert outcomes[0].missing_pages == list(range(2, len(shots) + 1))
    assert outcomes[-1].status == "counted", outcomes[-1].as_json()
    sheet.refresh_from_db()
    assert sheet.state == SheetState.COUNTED
    entry = SheetEntry.objects.get(sheet=sheet)
    assert entry.method == EntryMethod.PHOTO and entry.teller is None
    assert entry.answers == expected
    assert counted(session) == 5  # three questions and two statement votes
    # Every answer carries its confidence and no reasons.
    answers = outcomes[-1].reading.answers
    assert all(a["sure"] and 0 < a["confidence"] <= 1 for a in answers.values())
    # The evidence: the file, its hash and the reader version, linked from the sheet.
    pages = PageReading.objects.filter(sheet=sheet).select_related("scan")
    assert pages.count() == len(shots)
    for page in pages:
        stored = Path(reading.readings_dir() / page.scan.file).read_bytes()
        assert page.scan.sha256 == hashlib.sha256(stored).hexdigest()
        assert page.scan.reader_version == "inspraak-reader/1"
        assert (reading.readings_dir() / page.image).exists()
    logged = LogEntry.objects.filter(action="paper.read").values_list("data", flat=True)
    assert {d["sha256"] for d in logged} == {p.scan.sha256 for p in pages}


def test_the_same_image_twice_is_refused_and_counts_nothing(paper_session, printed, teller, filled):
    session, _q = paper_session
    [sheet] = printed(1)
    shots = photos(sheet, filled[0])
    read(teller, session, shots[0])
    with pytest.raises(InputRejected) as refused:
        read(teller, session, shots[0])
    assert refused.value.code == "same_image"
    assert FormScan.objects.count() == 1 and PageReading.objects.count() == 1


def test_a_flat_page_with_an_open_answer_is_not_bent(paper_session, printed, filled):
    """Flat pages photographed at 200 dpi are left as they are by ``unwarp``. An open
    answer's corner was once taken for itself slid 2.5 mm along its frame (1 mm of paper
    outside the L did not hold it), and the field bent the page's left side by as much:
    the print there read as ink beside the boxes, and the form went to a person."""
    from sessions_app.reading.page import find_page, images, unwarp

    [sheet] = printed(1)
    marks, _expected = filled
    layout = layout_of(sheet)
    for shot, layout_page in zip(photos(sheet, marks), layout["pages"], strict=True):
        flat = find_page(images(shot)[0], layout).image
        assert unwarp(flat, layout_page) is flat, layout_page["number"]


def test_a_photocopy_of_a_counted_sheet_is_refused(paper_session, printed, teller, filled):
    session, _q = paper_session
    [sheet] = printed(1)
    read_all(teller, session, photos(sheet, filled[0]))
    before = counted(session)
    copy = photos(sheet, filled[0], angle=-7, seed=9)  # another photo of the same sheet
    [outcome] = read(teller, session, copy[0])
    assert (outcome.status, outcome.reason) == ("refused", "sheet_counted")
    assert counted(session) == before


def test_unsure_readings_wait_in_the_review_queue_until_a_facilitator_settles_them(
    paper_session, printed, teller, organiser, filled
):
    session, q = paper_session
    [sheet] = printed(1)
    marks = [
        *filled[0],
        ("cross", q["choice"].pk, {"option": option(q["choice"], 0)}),  # two marks
    ]
    outcome = read_all(teller, session, photos(sheet, marks, [(q["text"].pk, "text", "Bankjes")]))[
        -1
    ]
    assert outcome.status == "review"
    answers = outcome.reading.answers
    assert answers[str(q["choice"].pk)]["reasons"] == ["two_marks"]
    assert answers[str(q["choice"].pk)]["answer"] is None
    assert answers[str(q["text"].pk)]["reasons"] == ["handwriting"]
    assert answers[str(q["scale"].pk)]["sure"]
    assert counted(session) == 0 and sheet.entries.count() == 0
    assert list(reading.review_queue(session=session)) == [outcome.reading]
    # Closing paper counting waits for the review.
    with pytest.raises(InputRejected) as waiting:
        reconciliation.paper_close(user=organiser, session=session)
    assert waiting.value.code == "paper_review_pending"
    # A teller may not settle it; a facilitator does, with what the crops show.
    with pytest.raises(Exception) as denied:
        reading.reading_settle(user=teller, reading=outcome.reading, answers={})
    assert denied.value.code == "role_required"
    settled = {
        str(q["choice"].pk): {"option": option(q["choice"], 1)},
        str(q["text"].pk): {"text": "Bankjes"},
    }
    reading.reading_settle(user=organiser, reading=outcome.reading, answers=settled)
    outcome.reading.refresh_from_db()
    assert outcome.reading.status == SheetReading.Status.SETTLED
    sheet.refresh_from_db()
    assert sheet.state == SheetState.COUNTED and sheet.verified
    assert counted(session) == 2
    with pytest.raises(InputRejected) as again:
        reading.reading_settle(user=organiser, reading=outcome.reading, answers=settled)
    assert again.value.code == "reading_not_in_review"
    reconciliation.paper_close(user=organiser, session=session)


def test_a_reading_set_aside_lets_a_teller_type_the_form(paper_session, printed, teller, organiser):
    session, q = paper_session
    [sheet] = printed(1)
    two = [("cross", q["choice"].pk, {"option": option(q["choice"], index)}) for index in (0, 1)]
    shots = photos(sheet, two)
    outcome = read_all(teller, session, shots)[-1]
    assert outcome.status == "review"
    reading.reading_drop(user=organiser, reading=outcome.reading)
    result = paper.sheet_entry_record(
        user=teller,
        sheet=sheet,
        answers={str(q["choice"].pk): {"option": option(q["choice"], 0)}},
        client_id="typed-0001",
    )
    assert result.status == "counted"


def _page_of(sheet, question_id) -> int:
    """The number of the form page that holds a question's boxes."""
    for page in layout_of(sheet)["pages"]:
        if any(box["question"] == question_id for box in page["boxes"]):
            return page["number"]
    raise AssertionError("question not on the form")


def test_a_page_photographed_again_while_its_reading_waits_for_review_decides_it_again(
    paper_session, printed, teller, organiser
):
    session, q = paper_session
    [sheet] = printed(1)
    choice = q["choice"].pk
    two = [("cross", choice, {"option": option(q["choice"], i)}) for i in (0, 1)]
    first = read_all(teller, session, photos(sheet, two))[-1]
    assert first.status == "review"
    number = _page_of(sheet, choice)
    # Taken again (as a teller told the photo is blurred does), still unsure: the same
    # reading waits, now with the new photo of that page.
    [still] = read(teller, session, photos(sheet, two, pages=[number], seed=7, angle=-3)[0])
    assert still.status == "review" and still.reading.pk == first.reading.pk
    newest = reading.current_pages(still.reading)[number]
    assert newest.scan_id == still.reading.pages.order_by("-id")[0].scan_id
    assert SheetReading.objects.filter(sheet=sheet).count() == 1
    assert counted(session) == 0
    # Taken again once more, and sure: the review is withdrawn and the sheet counts.
    one = [("cross", choice, {"option": option(q["choice"], 1)})]
    [sure] = read(teller, session, photos(sheet, one, pages=[number], seed=9, angle=2)[0])
    assert sure.status == "counted", sure.as_json()
    settled = SheetReading.objects.get(pk=first.reading.pk)
    assert settled.status == SheetReading.Status.COUNTED
    entry = SheetEntry.objects.get(sheet=sheet)
    assert entry.answers[str(choice)] == {"option": option(q["choice"], 1)}
    assert not reading.review_queue(session=session).exists()
    logged = LogEntry.objects.filter(action="paper.read", data__page=number)
    assert logged.count() == 3  # the first photo of that page and two taken again
    # A facilitator who had the review open is told it no longer waits.
    with pytest.raises(InputRejected) as late:
        reading.reading_settle(user=organiser, reading=settled, answers={})
    assert late.value.code == "reading_not_in_review"


def test_under_double_entry_a_reading_is_one_entry_and_the_tellers_confirmation_the_other(
    paper_session, printed, teller, filled
):
    session, _q = paper_session
    Process.objects.filter(pk=session.process_id).update(entry_mode=EntryMode.DOUBLE)
    [sheet] = printed(1)
    outcome = read_all(teller, session, photos(sheet, filled[0]))[-1]
    assert outcome.status == "waiting"
    assert counted(session) == 0
    result = reading.reading_confirm(user=teller, reading=outcome.reading, client_id="confirm-0001")
    assert result.status == "counted"
    again = reading.reading_confirm(user=teller, reading=outcome.reading, client_id="confirm-0001")
    assert again.status == "duplicate"
    methods = sorted(SheetEntry.objects.filter(sheet=sheet).values_list("method", "state"))
    assert methods == [("confirmation", "discarded"), ("photo", "accepted")]
    outcome.reading.refresh_from_db()
    assert outcome.reading.status == SheetReading.Status.COUNTED
    assert counted(session) == 5


def test_under_double_entry_a_second_reading_agreeing_counts_the_sheet(
    paper_session, printed, teller, filled
):
    session, _q = paper_session
    Process.objects.filter(pk=session.process_id).update(entry_mode=EntryMode.DOUBLE)
    [sheet] = printed(1)
    read_all(teller, session, photos(sheet, filled[0]))
    second = read_all(teller, session, photos(sheet, filled[0], angle=-9, seed=7))[-1]
    assert second.status == "counted"
    assert counted(session) == 5


# Bad input: each refused with its reason, nothing counted -------------------------------


def test_a_file_that_is_no_picture_is_refused_and_not_kept(paper_session, teller):
    session, _q = paper_session
    for data in (b"", b"hello, this is text", b"%PDF-1.4 broken"):
        with pytest.raises(InputRejected) as refused:
            read(teller, session, data)
        assert refused.value.code == "not_image"
    assert FormScan.objects.count() == 0
    assert not reading.readings_dir().exists() or not any(reading.readings_dir().iterdir())


def test_a_photo_without_a_form_is_refused_and_the_photo_not_kept(paper_session, teller):
    session, _q = paper_session
    rng = np.random.default_rng(3)
    picture = (rng.random((900, 1200)) * 255).astype(np.uint8)
    _ok, jpeg = cv2.imencode(".jpg", picture)
    [outcome] = read(teller, session, jpeg.tobytes())
    assert (outcome.status, outcome.reason) == ("refused", "no_form")
    scan = FormScan.objects.get()
    assert scan.file == "" and scan.sha256  # the hash is kept (same photo again: refused)
    assert not list(reading.readings_dir().glob(f"{scan.sha256}*"))


def test_a_thumb_over_one_corner_is_read_and_over_two_is_refused_naming_them(
    paper_session, printed, teller, filled
):
    session, _q = paper_session
    [sheet] = printed(1)
    photo = cv2.imdecode(np.frombuffer(photos(sheet, filled[0], angle=0)[0], np.uint8), 0)
    height, width = photo.shape
    thumbed = photo.copy()
    thumbed[int(height * 0.8) :, : int(width * 0.25)] = 90  # a thumb over the bottom left
    _ok, jpeg = cv2.imencode(".jpg", thumbed)
    [outcome] = read(teller, session, jpeg.tobytes())
    assert (outcome.status, outcome.sheet, outcome.form_page) == ("pages", sheet, 1)
    # The whole bottom edge covered: two corners missing, named.
    photo[int(height * 0.8) :, :] = 90
    _ok, jpeg = cv2.imencode(".jpg", photo)
    [outcome] = read(teller, session, jpeg.tobytes())
    assert (outcome.status, outcome.reason, outcome.detail) == (
        "refused",
        "corner_missing",
        "bottom_right,bottom_left",
    )
    assert "bottom left" in outcome_message(outcome)
    assert counted(session) == 0


def test_a_blurred_qr_code_is_refused(paper_session, printed, teller):
    session, _q = paper_session
    [sheet] = printed(1)
    layout = layout_of(sheet)
    pdf = paper_form.render(
        layout,
        [paper_form.SheetRow(sheet.code, f"{BASE}/t/{paper.sheet_token(sheet)}/")],
        form_strings(),
        title="t",
    )
    page = render_pdf_page(pdf, 0)
    qr, scale = layout["qr"], 150 / 25.4
    x0, y0 = round(qr["x"] * scale), round(qr["y"] * scale)
    size = round(qr["size"] * scale)
    page[y0 : y0 + size, x0 : x0 + size] = cv2.GaussianBlur(
        page[y0 : y0 + size, x0 : x0 + size], (0, 0), 6
    )
    [outcome] = read(teller, session, photograph(page, angle=3))
    assert (outcome.status, outcome.reason) == ("refused", "qr_unreadable")


def sheet_photo(sheet, *, url=None, layout=None):
    layout = layout or layout_of(sheet)
    row = paper_form.SheetRow(sheet.code, url or f"{BASE}/t/{paper.sheet_token(sheet)}/")
    pdf = paper_form.render(layout, [row], form_strings(), title="t")
    return photograph(render_pdf_page(pdf, 0), angle=-5, skew=0.04)


def test_a_forged_code_and_a_foreign_qr_code_are_refused(paper_session, printed, teller):
    session, _q = paper_session
    [sheet] = printed(1)
    forged = Signer(salt="something else").sign(sheet.code)
    [outcome] = read(teller, session, sheet_photo(sheet, url=f"{BASE}/t/{forged}/"))
    assert outcome.reason == "sheet_forged"
    [outcome] = read(teller, session, sheet_photo(sheet, url="https://example.com/shop/"))
    assert outcome.reason == "qr_foreign"
    assert counted(session) == 0


def test_a_form_of_another_session_or_layout_version_is_refused(
    paper_session, printed, teller, organiser, process
):
    session, _q = paper_session
    [sheet] = printed(1)
    other = live_session_create(
        user=organiser, process=process, spec=session_spec(title="Tweede avond")
    )
    [outcome] = read(teller, other, sheet_photo(sheet))
    assert (outcome.reason, outcome.sheet) == ("sheet_other_session", sheet)
    # The page says it was printed with another layout than the sheet was issued with.
    stale = {**layout_of(sheet), "version": "L000000000000"}
    [outcome] = read(teller, session, sheet_photo(sheet, layout=stale))
    assert outcome.reason == "layout_mismatch"
    assert counted(session) == 0 and SheetReading.objects.count() == 0


def test_a_voided_sheet_is_refused(paper_session, printed, teller, organiser):
    session, _q = paper_session
    [sheet] = printed(1)
    reconciliation.sheet_void(user=organiser, sheet=sheet, reason="spoiled")
    [outcome] = read(teller, session, sheet_photo(sheet))
    assert outcome.reason == "sheet_voided"


def test_a_teller_of_another_process_cannot_read(paper_session, make_user, filled):
    session, _q = paper_session
    stranger = make_user("sam")
    with pytest.raises(Exception) as denied:
        read(stranger, session, b"whatever")
    assert denied.value.code == "not_staff"


# The scanner's PDF and the command line ----------------------------------------------


def test_a_scanned_pdf_of_several_sheets_is_read_page_by_page_in_the_background(
    paper_session, printed, organiser, filled
):
    session, _q = paper_session
    sheets = printed(2)
    shots = [shot for sheet in sheets for shot in photos(sheet, filled[0], angle=0, skew=0)]
    scan = reading.scan_add(
        user=organiser, session=session, data=scanned_pdf(shots), origin=FormScan.Origin.UPLOAD
    )
    assert scan.pages == len(shots) and scan.state == FormScan.State.PENDING
    call_command("read_scan", str(scan.pk))
    scan.refresh_from_db()
    assert (scan.state, scan.progress) == (FormScan.State.DONE, len(shots))
    summary = reading.scan_summary(scan)
    assert (summary.pages, summary.read, summary.refused) == (len(shots), len(shots), {})
    assert {k: v for k, v in summary.sheets.items() if v} == {"counted": 2}
    assert counted(session) == 10


def test_a_scanners_multi_page_tiff_is_read_page_by_page(paper_session, printed, organiser, filled):
    session, _q = paper_session
    [sheet] = printed(1)
    pictures = [
        Image.open(io.BytesIO(shot)).convert("L") for shot in photos(sheet, filled[0], angle=1)
    ]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="TIFF", save_all=True, append_images=pictures[1:])
    scan = reading.scan_add(
        user=organiser, session=session, data=buffer.getvalue(), origin=FormScan.Origin.UPLOAD
    )
    assert scan.pages == len(pictures) and scan.file.endswith(".tif")
    assert reading.scan_read(scan, user=organiser)[-1].status == "counted"
    assert counted(session) == 5


def test_read_forms_prints_one_json_object_a_page(paper_session, printed, filled, tmp_path, capsys):
    session, q = paper_session
    [sheet] = printed(1)
    files = []
    for number, shot in enumerate(photos(sheet, filled[0])):
        files.append(tmp_path / f"p{number}.jpg")
        files[-1].write_bytes(shot)
    (tmp_path / "notes.txt").write_text("not a form")
    files.append(tmp_path / "notes.txt")
    call_command("read_forms", *map(str, files), "--json", "--session", session.join_code)
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["status"] for row in rows] == ["pages"] * (len(files) - 2) + [
        "counted",
        "refused",
    ]
    assert rows[-2]["sheet"] == sheet.code
    assert rows[-2]["answers"][str(q["choice"].pk)]["answer"] == {"option": option(q["choice"], 1)}
    assert rows[-1]["reason"] == "not_image"
    assert counted(session) == 5


def test_a_form_typed_in_while_its_reading_waits_takes_the_reading_out_of_review(
    paper_session, printed, teller, organiser
):
    session, q = paper_session
    [sheet] = printed(1)
    two = [("cross", q["choice"].pk, {"option": option(q["choice"], index)}) for index in (0, 1)]
    outcome = read_all(teller, session, photos(sheet, two))[-1]
    assert outcome.status == "review"
    paper.sheet_entry_record(
        user=teller,
        sheet=sheet,
        answers={str(q["choice"].pk): {"option": option(q["choice"], 0)}},
        client_id="typed-0002",
    )
    outcome.reading.refresh_from_db()
    assert outcome.reading.status == SheetReading.Status.DROPPED
    assert not reading.review_queue(session=session).exists()
    reconciliation.paper_close(user=organiser, session=session)  # nothing waits any more


def blurred_qr_photo(sheet, marks=()):
    """A photo of the sheet's first page, marked, whose QR code is blurred past reading
    (the code printed under it is left as it is)."""
    layout = layout_of(sheet)
    pdf = paper_form.render(
        layout, [paper_form.SheetRow(sheet.code, sheet_url(BASE, sheet))], form_strings(), title="t"
    )
    page = render_pdf_page(pdf, 0, dpi=PHOTO_DPI)
    for number, (kind, question, key) in enumerate(marks):
        for box in layout["pages"][0]["boxes"]:
            if box_matches(box, question, **key):
                draw_mark(page, box, kind, dpi=PHOTO_DPI, seed=1 + number)
    qr, scale = layout["qr"], PHOTO_DPI / 25.4
    x0, y0 = round(qr["x"] * scale), round(qr["y"] * scale)
    size = round(qr["size"] * scale)
    page[y0 : y0 + size, x0 : x0 + size] = cv2.GaussianBlur(
        page[y0 : y0 + size, x0 : x0 + size], (0, 0), 1.0 * scale
    )
    return photograph(page, angle=3)


def blurred_code_photo(sheet) -> bytes:
    """A photo of page 1 of ``sheet`` with the code printed under its QR code blurred
    past telling one character from another."""
    layout = layout_of(sheet)
    mm = PHOTO_DPI / 25.4
    page = render_pdf_page(
        paper_form.render(
            layout,
            [paper_form.SheetRow(sheet.code, sheet_url(BASE, sheet))],
            form_strings(),
            title="t",
        ),
        0,
        dpi=PHOTO_DPI,
    )
    where = layout["code"]
    rows = slice(round((where["y"] - 5) * mm), round((where["y"] + 2) * mm))
    columns = slice(round((where["x"] - 16) * mm), round((where["x"] + 16) * mm))
    page[rows, columns] = cv2.GaussianBlur(page[rows, columns], (0, 0), 1.5 * mm)
    return photograph(page, angle=2)


def test_the_code_printed_on_the_page_agrees_with_its_own_sheet_only(printed):
    """The characters printed under the QR code, compared one by one with the typed code
    (``reading.code``): the sheet's own code agrees in every place, another printed
    sheet's code is refused. With the printed code blurred past telling, nothing is
    refused: the teller typed it from the paper."""
    from printables.layout import frame
    from sessions_app.reading import code
    from sessions_app.reading.page import find_page, images

    [sheet, other] = printed(2)
    layout = layout_of(sheet)

    def page_of(photo: bytes):
        [gray] = images(photo)
        return find_page(gray, frame(), qr_text="typed").image

    image = page_of(blurred_qr_photo(sheet))
    own = code.agreement(image, layout["code"], sheet.code)
    assert (own.told, own.different, own.refused) == (8, 0, False)
    assert code.agreement(image, layout["code"], other.code).refused
    # The printed code rubbed out by a blur: no place can be told.
    blurred = code.agreement(page_of(blurred_code_photo(sheet)), layout["code"], other.code)
    assert blurred.told < code.PLACES_TOLD and not blurred.refused
    # The characters are those every sheet code is made of; anything else is not checked.
    from sessions_app.models.live_session import JOIN_CODE_ALPHABET

    assert code.CHARACTERS == JOIN_CODE_ALPHABET
    assert code.agreement(image, layout["code"], "ZZ") == code.Agreement(0, 0)


def test_a_photo_whose_qr_code_cannot_be_read_is_read_with_the_typed_code(
    paper_session, printed, teller, filled
):
    session, _q = paper_session
    [sheet, other] = printed(2)
    marks, expected = filled
    scan = reading.scan_add(
        user=teller, session=session, data=blurred_qr_photo(sheet, marks), origin="photo"
    )
    [outcome] = reading.scan_read(scan, user=teller)
    assert (outcome.status, outcome.reason) == ("refused", "qr_unreadable")
    # The code printed under the QR code, read from the photo: the teller is offered it.
    assert outcome.detail == sheet.code
    assert PageReading.objects.get(scan=scan, index=0).detail == sheet.code
    scan.refresh_from_db()
    assert scan.file and reading.awaits_code(scan, 0)  # the photo is kept for the code
    # A code nobody printed, a page the form does not have, and the code of another
    # printed sheet (another form on the table), which the code printed on the photo
    # contradicts: refused, nothing changes.
    for code, page, refusal in (
        ("ZZZZ-ZZZZ", 1, "unknown_sheet"),
        (sheet.code, 9, "layout_mismatch"),
        (other.code, 1, "code_mismatch"),
    ):
        with pytest.raises(InputRejected) as refused:
            reading.page_read_typed(user=teller, scan=scan, index=0, code=code, form_page=page)
        assert refused.value.code == refusal
    assert reading.awaits_code(scan, 0)
    assert not SheetReading.objects.exists()
    assert not LogEntry.objects.filter(action="paper.code_typed").exists()
    # The code as printed (dash, lower case): the same photo is read as page 1 of the sheet.
    typed = f"{sheet.code[:4]}-{sheet.code[4:]}".lower()
    outcome = reading.page_read_typed(user=teller, scan=scan, index=0, code=typed, form_page=1)
    assert outcome.status == "pages" and outcome.sheet == sheet and outcome.form_page == 1
    assert not reading.awaits_code(scan, 0)
    page = PageReading.objects.get(scan=scan, index=0)
    assert page.status == PageReading.Status.READ and page.sheet == sheet
    logged = LogEntry.objects.get(action="paper.code_typed").data
    assert logged["sheet"] == sheet.code and logged["sha256"] == scan.sha256
    # The sheet's other pages, photographed as usual, count it with the marks of page 1.
    outcomes = read_all(teller, session, photos(sheet, marks, pages=range(2, 10)))
    assert outcomes[-1].status == "counted", outcomes[-1].as_json()
    assert SheetEntry.objects.get(sheet=sheet).answers == expected
    # Typing again for the read page is refused.
    with pytest.raises(InputRejected) as again:
        reading.page_read_typed(user=teller, scan=scan, index=0, code=other.code, form_page=1)
    assert again.value.code == "page_read"
    assert other.readings.count() == 0


def test_a_code_read_from_the_print_is_offered_only_when_it_names_one_sheet_of_the_session(
    paper_session, printed, teller, organiser
):
    """Of the codes the print may be (``code.candidates``), the one naming a printed
    sheet of the scan's session; a misread names nothing, and a sheet of another
    session is not offered."""
    session, _q = paper_session
    [sheet, other] = printed(2)
    scan = reading.scan_add(user=teller, session=session, data=photos(sheet, [])[0], origin="photo")
    assert reading._printed_code(scan, f"ZZZZZZZZ,{sheet.code}") == sheet.code
    assert reading._printed_code(scan, "ZZZZZZZZ,YYYYYYYY") == ""
    assert reading._printed_code(scan, "") == ""
    # Two candidates naming two sheets: which one is printed is not clear.
    assert reading._printed_code(scan, f"{sheet.code},{other.code}") == ""
    elsewhere = live_session_create(user=organiser, process=session.process, spec=session_spec())
    scan.session = elsewhere
    assert reading._printed_code(scan, sheet.code) == ""


def test_the_code_printed_under_the_qr_code_is_read_from_the_page(printed):
    """``code.candidates``: the sheet's own code first on a photo; nothing from a print
    blurred past telling."""
    from printables.layout import frame
    from sessions_app.reading import code
    from sessions_app.reading.page import find_page, images

    [sheet] = printed(1)
    layout = layout_of(sheet)

    def page_of(photo: bytes):
        [gray] = images(photo)
        return find_page(gray, frame(), qr_text="typed").image

    found = code.candidates(page_of(blurred_qr_photo(sheet)), frame()["code"])
    assert found[0] == sheet.code and len(found) <= code.CANDIDATES
    assert code.candidates(page_of(blurred_code_photo(sheet)), layout["code"]) == []
