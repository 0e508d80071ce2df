"""Reading forms over HTTP: the teller's camera input and its result at once, the
confirmation under double entry, the facilitator's scan upload with progress and a
summary, and the review page with the crops of the boxes."""

import io
import json

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from sessions_app.models import (
    EntryMode,
    FormScan,
    LogEntry,
    Process,
    Response,
    Role,
    SheetReading,
    SheetState,
    Source,
)
from tests.paper_fixtures import option
from tests.reading_helpers import photos, scanned_pdf
from tests.sessions_app.test_reading_service import blurred_qr_photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"


@pytest.fixture
def marks(paper_session):
    _session, q = paper_session
    return [
        ("cross", q["choice"].pk, {"option": option(q["choice"], 0)}),
        ("tick", q["scale"].pk, {"value": q["scale"].scale_values[0]}),
    ]


def upload(client, session, shot, name="form.jpg"):
    return client.post(
        reverse("paper:teller_photo", args=[session.pk]),
        {"photo": SimpleUploadedFile(name, shot, content_type="image/jpeg")},
    )


def test_the_teller_page_offers_the_camera_and_a_photo_counts_at_once(
    client, paper_session, printed, teller, marks, make_user, grant, organiser
):
    session, q = paper_session
    [sheet] = printed(1)
    client.force_login(teller)
    page = client.get(reverse("paper:teller_session", args=[session.pk])).content.decode()
    assert 'type="file"' in page and 'accept="image/*"' in page and 'capture="environment"' in page
    assert 'enctype="multipart/form-data"' in page
    shots = photos(sheet, marks)
    first = upload(client, session, shots[0])
    assert first.status_code == 200
    assert f"Page 1 of form {sheet.serial} is read" in first.content.decode()
    for shot in shots[1:]:
        last = upload(client, session, shot)
    body = last.content.decode()
    assert f"Form {sheet.serial} is counted." in body
    assert q["choice"].options.order_by("position")[0].text in body  # what was read, in words
    sheet.refresh_from_db()
    assert sheet.state == SheetState.COUNTED
    assert Response.objects.filter(source=Source.PAPER, question=q["choice"]).count() == 1
    # The same photo again (a double tap): refused, with the reason, and what became of
    # it the first time; nothing counted twice.
    again = upload(client, session, shots[-1])
    assert again.status_code == 400
    body = again.content.decode()
    assert "has been read before" in body and f"Form {sheet.serial} is counted." in body
    assert Response.objects.filter(source=Source.PAPER, question=q["choice"]).count() == 1
    # Another teller's copy of that file is refused without showing them anything else.
    other = make_user("tina")
    grant(session.process, other, Role.TELLER)
    client.force_login(other)
    copied = upload(client, session, shots[-1]).content.decode()
    assert "has been read before" in copied and f"Form {sheet.serial}" not in copied
    # The same teller giving that file again in another session (of another process,
    # perhaps, where their role has ended) is shown nothing of what was read here.
    from sessions_app.services.live_sessions import live_session_create
    from tests.conftest import session_spec

    elsewhere = live_session_create(user=organiser, process=session.process, spec=session_spec())
    client.force_login(teller)
    twice = client.post(
        reverse("paper:teller_photo", args=[elsewhere.pk]),
        {"photo": SimpleUploadedFile("form.jpg", shots[-1], content_type="image/jpeg")},
    ).content.decode()
    assert "has been read before" in twice and f"Form {sheet.serial}" not in twice


def test_a_file_that_is_no_photo_gets_a_clear_reason(client, paper_session, teller):
    session, _q = paper_session
    client.force_login(teller)
    response = upload(client, session, b"%not an image", name="notes.txt")
    assert response.status_code == 400
    assert "not a photo (JPEG, PNG) or a scan (PDF, TIFF)" in response.content.decode()
    assert not FormScan.objects.exists()


def test_a_result_page_opened_again_goes_back_to_its_form(client, paper_session, teller):
    """The photo's outcome and a confirmation are shown at addresses that take a POST: a
    tab restored or reloaded later lands on the page the form was on, not a blank 405."""
    session, _q = paper_session
    client.force_login(teller)
    photo = client.get(reverse("paper:teller_photo", args=[session.pk]))
    assert photo.status_code == 302
    assert photo["Location"] == reverse("paper:teller_session", args=[session.pk])
    confirm = client.get(reverse("paper:reading_confirm", args=[1]))
    assert confirm.status_code == 302 and confirm["Location"] == reverse("paper:teller_home")
    assert client.put(reverse("paper:teller_photo", args=[session.pk])).status_code == 405


def test_a_stranger_cannot_upload(client, paper_session, make_user):
    session, _q = paper_session
    client.force_login(make_user("sam"))
    assert upload(client, session, b"x").status_code == 404


def test_under_double_entry_the_teller_confirms_what_was_read(
    client, paper_session, printed, teller, marks
):
    session, _q = paper_session
    Process.objects.filter(pk=session.process_id).update(entry_mode=EntryMode.DOUBLE)
    [sheet] = printed(1)
    client.force_login(teller)
    for shot in photos(sheet, marks):
        last = upload(client, session, shot)
    body = last.content.decode()
    assert "It counts when a second entry agrees" in body
    reading = SheetReading.objects.get(sheet=sheet)
    assert reading.status == SheetReading.Status.ENTERED
    assert reverse("paper:reading_confirm", args=[reading.pk]) in body
    done = client.post(
        reverse("paper:reading_confirm", args=[reading.pk]), {"client_id": "confirm-12345"}
    )
    assert "Counted. Thank you." in done.content.decode()
    sheet.refresh_from_db()
    assert sheet.state == SheetState.COUNTED and sheet.verified


def test_a_scanned_pdf_is_read_in_the_background_and_summed_up(
    client,
    paper_session,
    printed,
    organiser,
    marks,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    from sessions_app.services import reading

    session, q = paper_session
    sheets = printed(2)
    shots = [s for sheet in sheets for s in photos(sheet, marks, angle=0, skew=0)]
    # One sheet with two marks on one question goes to review.
    shots[-len(shots) // 2 :] = photos(
        sheets[1], [*marks, ("cross", q["choice"].pk, {"option": option(q["choice"], 1)})]
    )
    pdf = scanned_pdf(shots)
    started = []
    monkeypatch.setattr(reading, "start_command", lambda *args: started.append(args))
    client.force_login(organiser)
    paper_url = reverse("paper:page", args=[session.process.slug, session.pk])
    assert 'name="scan"' in client.get(paper_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("paper:scan_upload", args=[session.process.slug, session.pk]),
            {"scan": SimpleUploadedFile("scan.pdf", pdf, "application/pdf")},
        )
    scan = FormScan.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/scans/{scan.pk}/")
    assert started == [("read_scan", str(scan.pk))]
    progress = client.get(response.url + "?format=json").json()
    assert (progress["state"], progress["progress"], progress["total"]) == (
        "pending",
        0,
        len(shots),
    )
    call_command("read_scan", str(scan.pk))
    assert client.get(response.url + "?format=json").json()["progress"] == len(shots)
    page = client.get(response.url).content.decode()
    assert "Summary" in page
    assert f"Form {sheets[0].serial} is counted." in page
    assert f"Form {sheets[1].serial} goes to review" in page
    # The review queue lists it; its page shows each box as the photo shows it.
    listed = client.get(paper_url).content.decode()
    reading_row = SheetReading.objects.get(status=SheetReading.Status.REVIEW)
    review_url = reverse("paper:reading", args=[session.process.slug, session.pk, reading_row.pk])
    assert review_url in listed
    review = client.get(review_url).content.decode()
    assert review.count("data:image/png;base64,") >= 4
    assert "more than one mark where one is asked for" in review
    assert "read as marked" in review
    # The scale was read sure: it comes pre-set, so a right reading is one tap.
    value = q["scale"].scale_values[0]
    assert f'id="q{q["scale"].pk}-v{value}" value="{value}" checked' in review
    # Two places given twice in the ranking and a budget over its total: nothing counts,
    # and each problem is told beside its question and listed at the top, by number.
    ranking, budget = q["ranking"], q["budget"]
    ranked = list(ranking.options.order_by("position").values_list("pk", flat=True))
    spent = list(budget.options.order_by("position").values_list("pk", flat=True))
    wrong = client.post(
        review_url,
        {
            "action": "settle",
            f"q{q['choice'].pk}-option": str(option(q["choice"], 0)),
            f"q{ranking.pk}-rank_{ranked[0]}": "1",
            f"q{ranking.pk}-rank_{ranked[1]}": "1",
            f"q{budget.pk}-amount_{spent[0]}": str(budget.budget_total + 20),
        },
    )
    assert wrong.status_code == 400
    errors = wrong.context["error_list"]
    assert [question.pk for question, _message in errors] == [ranking.pk, budget.pk]
    body = wrong.content.decode()
    assert 'class="error-summary"' in body
    assert f'href="#q{ranking.pk}-question"' in body and f'href="#q{budget.pk}-question"' in body
    sheets[1].refresh_from_db()
    assert sheets[1].state != SheetState.COUNTED
    # The facilitator sees which box was meant and confirms.
    settled = client.post(
        review_url,
        {
            "action": "settle",
            f"q{q['choice'].pk}-option": str(option(q["choice"], 0)),
            f"q{q['scale'].pk}-value": str(value),
        },
    )
    assert settled.status_code == 302
    sheets[1].refresh_from_db()
    assert sheets[1].state == SheetState.COUNTED
    assert Response.objects.filter(source=Source.PAPER, question=q["choice"]).count() == 2
    # The evidence: the file as uploaded.
    evidence = client.get(
        reverse("paper:scan_file", args=[session.process.slug, session.pk, scan.pk])
    )
    assert b"".join(evidence.streaming_content) == pdf


def test_the_review_page_is_for_facilitators(client, paper_session, printed, teller, marks):
    session, q = paper_session
    [sheet] = printed(1)
    client.force_login(teller)
    two = [*marks, ("cross", q["choice"].pk, {"option": option(q["choice"], 1)})]
    for shot in photos(sheet, two):
        last = upload(client, session, shot)
    assert "goes to review" in last.content.decode()
    reading_row = SheetReading.objects.get()
    url = reverse("paper:reading", args=[session.process.slug, session.pk, reading_row.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "drop"}).status_code == 404
    reading_row.refresh_from_db()
    assert reading_row.status == SheetReading.Status.REVIEW


def test_setting_a_reading_aside_asks_first(
    client, paper_session, printed, teller, organiser, marks
):
    """Setting a reading aside throws away what was read: the page asks first, and only
    the answer sets it aside."""
    session, q = paper_session
    [sheet] = printed(1)
    client.force_login(teller)
    two = [*marks, ("cross", q["choice"].pk, {"option": option(q["choice"], 1)})]
    for shot in photos(sheet, two):
        upload(client, session, shot)
    reading_row = SheetReading.objects.get()
    client.force_login(organiser)
    url = reverse("paper:reading", args=[session.process.slug, session.pk, reading_row.pk])
    assert 'value="ask_drop"' in client.get(url).content.decode()
    asked = client.post(url, {"action": "ask_drop"})
    body = asked.content.decode()
    assert asked.status_code == 200 and "Set this reading aside?" in body
    assert 'value="drop"' in body and f'href="{url}"' in body  # set aside, or cancel
    reading_row.refresh_from_db()
    assert reading_row.status == SheetReading.Status.REVIEW
    assert "Set this reading aside?" not in client.get(url).content.decode()
    done = client.post(url, {"action": "drop"})
    assert done.status_code == 302
    reading_row.refresh_from_db()
    assert reading_row.status == SheetReading.Status.DROPPED


def test_a_reading_that_differs_from_a_typed_entry_is_shown_as_read_from_a_photo(
    client, paper_session, printed, teller, organiser, marks
):
    from sessions_app.services import paper

    session, q = paper_session
    Process.objects.filter(pk=session.process_id).update(entry_mode=EntryMode.DOUBLE)
    [sheet] = printed(1)
    paper.sheet_entry_record(
        user=teller,
        sheet=sheet,
        answers={str(q["choice"].pk): {"option": option(q["choice"], 2)}},
        client_id="typed-0003",
    )
    client.force_login(teller)
    for shot in photos(sheet, marks):
        last = upload(client, session, shot)
    assert "reads differently from its other entry" in last.content.decode()
    client.force_login(organiser)
    page = client.get(reverse("paper:page", args=[session.process.slug, session.pk]))
    body = page.content.decode()
    assert "Entered by tom" in body and "Read from a photo" in body
    reading_row = SheetReading.objects.get(sheet=sheet)
    assert reading_row.status == SheetReading.Status.CONFLICT
    assert reverse("paper:reading", args=[session.process.slug, session.pk, reading_row.pk]) in body


def test_a_lost_background_reading_can_be_resumed_where_it_stopped(
    client,
    paper_session,
    printed,
    organiser,
    marks,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    from datetime import timedelta

    from django.utils import timezone

    from sessions_app.services import reading

    session, _q = paper_session
    [sheet] = printed(1)
    shots = photos(sheet, marks, angle=0, skew=0)
    pdf = scanned_pdf(shots)
    scan = reading.scan_add(
        user=organiser, session=session, data=pdf, origin=FormScan.Origin.UPLOAD
    )
    # Its process read the first page and was lost (a restart) an hour ago.
    [gray] = list(reading.iter_images(pdf))[:1]
    reading._read_page(scan, 0, gray, organiser)
    long_ago = timezone.now() - timedelta(hours=1)
    FormScan.objects.filter(pk=scan.pk).update(state="running", progress=1, created_at=long_ago)
    scan.page_readings.update(created_at=long_ago)
    started = []
    monkeypatch.setattr(reading, "start_command", lambda *args: started.append(args))
    client.force_login(organiser)
    url = reverse("paper:scan", args=[session.process.slug, session.pk, scan.pk])
    assert "Read the rest" in client.get(url).content.decode()
    resume = reverse("paper:scan_resume", args=[session.process.slug, session.pk, scan.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(resume)
    assert started == [("read_scan", str(scan.pk))]
    assert response.status_code == 302
    scan.refresh_from_db()
    assert scan.state == "pending"
    call_command("read_scan", str(scan.pk))
    scan.refresh_from_db()
    assert scan.state == "done" and scan.page_readings.count() == len(shots)
    sheet.refresh_from_db()
    assert sheet.state == SheetState.COUNTED
    # A scan that is being read is not resumed.
    again = client.post(resume, follow=True)
    assert "nothing to resume" in again.content.decode()


def test_a_lost_reading_worker_fails_the_photo_and_never_reads_it_in_the_server(
    client, paper_session, printed, teller, marks, monkeypatch
):
    """The teller's photo is read in a worker process; if that process died (a hostile
    file may have killed it), the photo is refused and not read in the server instead; a
    new worker reads the next one."""
    from concurrent.futures.process import BrokenProcessPool

    from sessions_app import workers
    from sessions_app.reading import work

    class Broken:
        def submit(self, *args, **kwargs):
            raise BrokenProcessPool("the worker was killed")

        def shutdown(self, **kwargs):
            pass

    def never_here(*args):
        raise AssertionError("read in the server process")

    broken = Broken()
    monkeypatch.setattr(workers, "_pool", broken)
    monkeypatch.setattr(work, "find_all", never_here)  # the server's own copy
    session, _q = paper_session
    [sheet] = printed(1)
    client.force_login(teller)
    try:
        failed = upload(client, session, photos(sheet, marks)[0])
        assert failed.status_code == 422
        assert "Reading this file failed" in failed.content.decode()
        assert workers._pool is None  # the next photo starts a new worker
        monkeypatch.undo()
        for shot in photos(sheet, marks, seed=2):
            last = upload(client, session, shot)
        assert f"Form {sheet.serial} is counted." in last.content.decode()
    finally:
        workers.worker_pool_reset()


def test_a_photo_whose_qr_code_cannot_be_read_is_read_with_the_code_the_teller_types(
    client, paper_session, printed, teller, marks, make_user, grant
):
    session, _q = paper_session
    [sheet] = printed(1)
    client.force_login(teller)
    shot = blurred_qr_photo(sheet, marks)
    refused = upload(client, session, shot)
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "QR code cannot be read" in body
    # The photo's address takes a POST only: the language switch goes back to the session.
    session_url = reverse("paper:teller_session", args=[session.pk])
    assert f'name="next" value="{session_url}"' in body
    # A plain form, labelled: the code, and the page number (the form has several pages).
    assert '<label for="sheet-code-0">' in body and 'name="code"' in body
    # The code printed under the QR code, read from the photo, is in the field already,
    # with a word to check it against the paper.
    readable_code = f"{sheet.code[:4]}-{sheet.code[4:]}"
    assert f'name="code" value="{readable_code}"' in body
    assert 'aria-describedby="code-read-0"' in body and "check it against the code" in body
    assert '<label for="form-page-0">' in body and '<option value="2">2</option>' in body
    # No page is chosen for the teller: it must be the one at the bottom of the paper.
    assert '<option value="" selected>Choose the page</option>' in body
    scan = FormScan.objects.get()
    # The same photo sent again: read before, and its code can still be typed for it.
    again = upload(client, session, shot)
    assert again.status_code == 400
    body = again.content.decode()
    assert "<title>This photo was read before" in body and "has been read before" in body
    assert f'name="scan" value="{scan.pk}"' in body and 'id="sheet-code-0"' in body
    assert FormScan.objects.count() == 1
    url = reverse("paper:teller_photo", args=[session.pk])
    fields = {"scan": scan.pk, "index": 0, "form_page": 1}
    wrong = client.post(url, {**fields, "code": "ZZZZ-ZZZZ"})
    assert wrong.status_code == 400
    body = wrong.content.decode()
    assert "No form with this code was printed." in body and 'aria-invalid="true"' in body
    # What was typed and chosen stays, for mending.
    assert 'value="ZZZZ-ZZZZ"' in body and '<option value="1" selected>1</option>' in body
    # The right code with the wrong page number (the photo is of page 1): refused, as
    # another page, and nothing is read.
    typed = f"{sheet.code[:4]}-{sheet.code[4:]}"
    other_page = client.post(url, {**fields, "form_page": 2, "code": typed})
    assert other_page.status_code == 400
    body = other_page.content.decode()
    assert "another page of the form than the page number chosen" in body
    assert '<option value="2" selected>2</option>' in body
    assert not SheetReading.objects.exists()
    # Another teller cannot type a code for this teller's photo.
    other = make_user("tina")
    grant(session.process, other, Role.TELLER)
    client.force_login(other)
    assert client.post(url, {**fields, "code": sheet.code}).status_code == 404
    client.force_login(teller)
    read = client.post(url, {**fields, "code": typed})
    assert read.status_code == 200
    body = read.content.decode()
    assert f"Page 1 of form {sheet.serial} is read" in body and 'name="code"' not in body
    assert SheetReading.objects.get().sheet == sheet
    # The page is read: a second code for it finds nothing to read.
    assert client.post(url, {**fields, "code": typed}).status_code == 404


def test_a_scanned_page_whose_qr_code_cannot_be_read_is_read_with_the_code_typed(
    client, paper_session, printed, organiser, teller, marks, monkeypatch
):
    """A scanner's PDF: a page whose QR code cannot be read offers, on the scan's page,
    the code printed under it as read, to check and send; that page is then read from
    the same file. A wrong code changes nothing and says why; only the process's
    facilitators may type one; a page read waits for no code any more."""
    from sessions_app.services import reading

    session, _q = paper_session
    [sheet] = printed(1)
    pdf = scanned_pdf([blurred_qr_photo(sheet, marks), *photos(sheet, marks)[1:]])
    monkeypatch.setattr(reading, "start_command", lambda *args: None)
    client.force_login(organiser)
    client.post(
        reverse("paper:scan_upload", args=[session.process.slug, session.pk]),
        {"scan": SimpleUploadedFile("scan.pdf", pdf, "application/pdf")},
    )
    scan = FormScan.objects.get()
    call_command("read_scan", str(scan.pk))
    scan_url = reverse("paper:scan", args=[session.process.slug, session.pk, scan.pk])
    page = client.get(scan_url).content.decode()
    readable_code = f"{sheet.code[:4]}-{sheet.code[4:]}"
    # The scanner's advice, not a phone's ("hold still"), in the row and in the summary.
    assert page.count("QR code cannot be read (blurred, creased or covered): type the code") == 2
    assert "Hold still" not in page
    assert '<label for="scan-sheet-code-0">' in page and f'value="{readable_code}"' in page
    assert 'aria-describedby="scan-code-read-0"' in page and '<option value="2">2</option>' in page
    assert 'id="scan-sheet-code-1"' not in page  # the other pages were read
    code_url = reverse("paper:scan_code", args=[session.process.slug, session.pk, scan.pk])
    fields = {"index": 0, "form_page": 1}

    # A wrong code is told in the page's own row, beside what was typed, which stays.
    wrong = client.post(code_url, {**fields, "code": "ZZZZ-ZZZZ"})
    assert wrong.status_code == 400
    body = wrong.content.decode()
    row = body[body.index('id="scan-page-1"') : body.index("</tr>", body.index('id="scan-page-1"'))]
    assert "No form with this code was printed." in row and 'id="scan-code-error-0"' in row
    assert 'value="ZZZZ-ZZZZ"' in row and 'aria-invalid="true"' in row and "autofocus" in row
    assert f'name="next" value="{scan_url}"' in body  # not the code's POST-only address
    # The right code for page 2 of the form: page 1 of the file is page 1, refused.
    other_page = client.post(code_url, {**fields, "form_page": 2, "code": readable_code})
    assert other_page.status_code == 400
    assert "another page of the form than the page number chosen" in other_page.content.decode()
    assert not sheet.page_readings.filter(form_page=1).exists()
    assert sheet.page_readings.filter(form_page=2).count() == 1  # page 2's own, untouched

    client.force_login(teller)  # a teller does not run the facilitator's scans
    assert client.post(code_url, {**fields, "code": readable_code}).status_code == 404
    client.force_login(organiser)
    read = client.post(code_url, {**fields, "code": readable_code}, follow=True)
    body = read.content.decode()
    assert f"Page 1: Form {sheet.serial} is counted." in body  # told above the page
    assert 'id="scan-sheet-code-0"' not in body
    assert set(sheet.page_readings.values_list("form_page", flat=True)) == {1, 2}
    assert SheetReading.objects.get(sheet=sheet).status == SheetReading.Status.COUNTED
    assert LogEntry.objects.filter(action="paper.code_typed").count() == 1
    assert client.post(code_url, {**fields, "code": readable_code}).status_code == 404


def black_and_white(shot: bytes) -> bytes:
    """The photo as a scanner's black-and-white mode gives it (a PNG: no grey at all)."""
    gray = cv2.imdecode(np.frombuffer(shot, np.uint8), cv2.IMREAD_GRAYSCALE)
    return cv2.imencode(".png", np.where(gray < 140, 0, 255).astype(np.uint8))[1].tobytes()


def test_a_picture_with_few_pixels_tells_the_teller_to_come_closer(
    client, paper_session, printed, teller, marks
):
    """A 150 dpi picture (about 6 pixels to a millimetre) can thin a light tick to a
    speck: the teller is told, and how to get a picture read on its own."""
    session, _q = paper_session
    [sheet] = printed(1)
    client.force_login(teller)
    shots = photos(sheet, marks, dpi=150)
    bodies = [upload(client, session, shot).content.decode() for shot in shots]
    assert all("few pixels" in body and "200 dpi" in body for body in bodies)
    assert set(sheet.page_readings.values_list("capture", flat=True)) == {"low_resolution"}


def test_a_black_and_white_scan_tells_the_teller_why_and_what_to_do(
    client, paper_session, printed, teller, marks, tmp_path
):
    """A light mark can vanish from a black-and-white picture without a trace, so its
    blank questions go to a person; the teller is told so, and how to get a picture that
    is read on its own. The page keeps what kind of picture it was; the command says it
    too. A grey photo of another form says nothing of the kind."""
    session, _q = paper_session
    first, second, third = printed(3)
    client.force_login(teller)
    for shot in photos(first, marks):
        body = client.post(
            reverse("paper:teller_photo", args=[session.pk]),
            {"photo": SimpleUploadedFile("scan.png", black_and_white(shot), "image/png")},
        ).content.decode()
        assert "This is a black-and-white scan" in body and "200 dpi" in body
    assert set(first.page_readings.values_list("capture", flat=True)) == {"black_white"}
    reading = SheetReading.objects.get(sheet=first)
    assert reading.status == SheetReading.Status.REVIEW  # its blank questions: a person's
    grey = [
        upload(client, session, shot).content.decode() for shot in photos(second, marks, dpi=200)
    ]
    assert not any("black-and-white" in body or "few pixels" in body for body in grey)
    assert set(second.page_readings.values_list("capture", flat=True)) == {""}
    # The command line: the JSON names the kind of picture, the text says what to do.
    one, two = (tmp_path / "1.png", tmp_path / "2.png")
    for path, shot in zip((one, two), photos(third, marks), strict=True):
        path.write_bytes(black_and_white(shot))
    out = io.StringIO()
    call_command("read_forms", str(one), stdout=out)
    assert "This is a black-and-white scan" in out.getvalue()
    out = io.StringIO()
    call_command("read_forms", str(two), "--json", stdout=out)
    assert json.loads(out.getvalue())["capture"] == "black_white"


def test_a_form_read_from_a_picture_is_not_counted_as_not_returned(
    client, paper_session, printed, teller, organiser, marks
):
    """Reconciliation: a sheet whose photo waits for review has been handed in; it is
    "read from a picture, not yet counted", and so is one set aside for a teller to type,
    not "not returned"; in the paper page and in the workbook."""
    from openpyxl import load_workbook

    from sessions_app.exports import workbook
    from sessions_app.selectors import paper_reconciliation

    session, q = paper_session
    [sheet, _untouched] = printed(2)
    client.force_login(teller)
    two = [*marks, ("cross", q["choice"].pk, {"option": option(q["choice"], 1)})]
    for shot in photos(sheet, two):
        upload(client, session, shot)
    assert SheetReading.objects.get().status == SheetReading.Status.REVIEW
    counts = paper_reconciliation(session=session)
    assert (counts["printed"], counts["not_returned"], counts["being_read"]) == (2, 1, 1)
    client.force_login(organiser)
    paper_page = client.get(reverse("paper:page", args=[session.process.slug, session.pk]))
    assert "read from a picture, not yet counted" in paper_page.content.decode()
    reading_row = SheetReading.objects.get()
    url = reverse("paper:reading", args=[session.process.slug, session.pk, reading_row.pk])
    client.post(url, {"action": "drop"})
    counts = paper_reconciliation(session=session)
    assert (counts["not_returned"], counts["being_read"]) == (1, 1)  # set aside, handed in
    stream = io.BytesIO()
    workbook.write(session.process, stream)
    book = load_workbook(io.BytesIO(stream.getvalue()))
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override(session.process.language):  # the workbook speaks it
        title, read, missing = (
            gettext(text)
            for text in ("Paper", "read from a picture, not yet counted", "not returned")
        )
    rows = list(book[title].values)
    header = list(rows[0])
    row = next(r for r in rows if r[0] == session.title)
    assert row[header.index(read)] == 1 and row[header.index(missing)] == 1


def test_a_statements_full_stop_is_not_followed_by_the_boxs_colon():
    """The review's crops are labelled by what each box stands for: a statement ending in
    a full stop reads "… plein: eens", not "… plein.: eens"."""
    from types import SimpleNamespace

    from django.utils import translation

    from sessions_app.views.reading import _labels

    statement = SimpleNamespace(pk=7, text="Auto's horen niet op het plein.")
    question = SimpleNamespace(printed=[statement], kind="statements")
    with translation.override("nl"):
        labels = _labels([question])
    assert labels[(("statement", 7), ("vote", "agree"))] == "Auto's horen niet op het plein: eens"
    assert labels[(("option", 7),)] == "Auto's horen niet op het plein."
