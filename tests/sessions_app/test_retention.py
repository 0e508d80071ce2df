"""Retention, with a frozen clock: form photos go a set time after paper counting closed,
written text a set time after the process closed, old phone links stop working; the
counts stay, the chain and every row still verify, and the log says what went in
numbers, never in words."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from freezegun import freeze_time

from sessions_app import binding
from sessions_app.models import (
    FacilitatorNote,
    FormScan,
    LogEntry,
    PageReading,
    Participant,
    Response,
    ResponseStatus,
    TextContent,
)
from sessions_app.services import facilitation, participation, reading, reconciliation
from sessions_app.services.live_sessions import live_session_create
from sessions_app.services.processes import process_close, process_publish
from sessions_app.services.retention import EXPIRED
from tests.conftest import session_spec
from tests.paper_fixtures import option
from tests.reading_helpers import photos

pytestmark = pytest.mark.django_db


def purge() -> str:
    out = io.StringIO()
    call_command("purge", stdout=out)
    return out.getvalue()


@pytest.fixture
def evening(paper_session, printed, organiser, teller):
    """A session with a photographed form, a phone's open answer and a hidden reason."""
    session, q = paper_session
    process = session.process
    process_publish(user=organiser, process=process)
    for question in (q["choice"], q["text"]):
        facilitation.question_open(user=organiser, question=question)
    [sheet] = printed(1)
    for shot in photos(sheet, [("cross", q["choice"].pk, {"option": option(q["choice"], 1)})]):
        scan = reading.scan_add(user=teller, session=session, data=shot, origin="photo")
        reading.scan_read(scan, user=teller)
    phone = participation.participant_join(session=session, via="room")
    participation.response_submit(
        participant=phone,
        question_id=q["text"].pk,
        answer={"text": "Ik ben Piet"},
        client_id="retention-0001",
    )
    return session, q, phone


def files(folder):
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


@override_settings(
    RETENTION_PHOTOS_DAYS=30, RETENTION_TEXTS_MONTHS=12, RETENTION_PARTICIPANT_DAYS=30
)
def test_purge_applies_each_rule_on_its_day(evening, organiser):
    session, q, phone = evening
    process = session.process
    FacilitatorNote.objects.create(session=session, text="Piet liep boos weg.", author=organiser)
    folder = reading.readings_dir()
    assert FormScan.objects.exclude(file="").exists() and files(folder)
    counts = list(
        Response.objects.filter(status=ResponseStatus.COUNTED).values_list("pk", "number")
    )
    start = session.created_at
    with freeze_time(start + timedelta(days=1)):
        reconciliation.paper_close(user=organiser, session=session)
        process_close(user=organiser, process=process)
    # Day 20: nothing is due yet.
    with freeze_time(start + timedelta(days=20)):
        assert "Nothing to remove." in purge()
    assert files(folder) and TextContent.objects.filter(text="Ik ben Piet").exists()
    # Day 32: the photos (closed + 30 days) and the phone links (30 days) go; text stays.
    with freeze_time(start + timedelta(days=32)):
        out = purge()
    assert f"{process.slug}: " in out and "phone links" in out
    assert files(folder) == []
    assert not FormScan.objects.exclude(file="").exists()
    assert not PageReading.objects.exclude(image="").exists()
    assert FormScan.objects.exists()  # the rows (and each file's SHA-256) stay
    phone.refresh_from_db()
    assert phone.token.startswith(EXPIRED)
    assert TextContent.objects.filter(text="Ik ben Piet").exists()
    assert FacilitatorNote.objects.filter(session=session).exists()
    # A year after closing: the written text goes, and the facilitators' notes; the
    # counts stay.
    with freeze_time(start + timedelta(days=1 + 366)):
        assert "1 facilitators' notes" in purge()
    assert not FacilitatorNote.objects.exists()
    kept = TextContent.objects.get(response__question=q["text"])
    assert (kept.text, kept.salt, kept.erased_reason) == ("", "", "retention")
    assert Response.objects.get(question=q["text"]).text == ""
    assert counts == list(
        Response.objects.filter(status=ResponseStatus.COUNTED).values_list("pk", "number")
    )
    # The log says what went in numbers; no text, no file name.
    purged = list(LogEntry.objects.filter(process=process, action="retention.purged"))
    assert [e.data for e in purged] == [
        {"photos": 2, "pages": 2, "texts": 0, "links": 1},
        {"photos": 0, "pages": 0, "texts": 1, "links": 0, "notes": 1},
    ]
    erased = LogEntry.objects.get(process=process, action="content.erased")
    assert erased.data["reason"] == "retention" and kept.commitment in erased.data["commitments"]
    assert "Piet" not in str(list(LogEntry.objects.values_list("data", flat=True)))
    assert binding.rows_verify(process=process) is None
    # Nothing is left to do: a second run removes nothing and logs nothing.
    seq = LogEntry.objects.filter(process=process).count()
    with freeze_time(start + timedelta(days=400)):
        assert "Nothing to remove." in purge()
    assert LogEntry.objects.filter(process=process).count() == seq


def test_a_process_keeps_its_own_retention(evening, organiser):
    session, _q, _phone = evening
    process = session.process
    process.retention_photos_days = 100
    process.save(update_fields=["retention_photos_days"])
    with freeze_time(session.created_at + timedelta(days=1)):
        reconciliation.paper_close(user=organiser, session=session)
    with freeze_time(session.created_at + timedelta(days=60)):
        purge()
    assert FormScan.objects.exclude(file="").exists()
    with freeze_time(session.created_at + timedelta(days=102)):
        purge()
    assert not FormScan.objects.exclude(file="").exists()
    assert not Participant.objects.filter(token__isnull=True, joined_via="room").exists()


@pytest.fixture
def two_sessions(paper_session, printed, organiser, teller, make_question, tmp_path):
    """A sheet of the first session read by ``read_forms`` without ``--session``, a
    teller's photo of it given to the second session (which has no sheets of its own, so
    its paper counting never closes), and a file given on the command line that was never
    read (no session, no page)."""
    session, q = paper_session
    process = session.process
    second = live_session_create(user=organiser, process=process, spec=session_spec())
    make_question("single_choice", session=second)
    process_publish(user=organiser, process=process)
    facilitation.question_open(user=organiser, question=q["choice"])
    [sheet] = printed(1)
    marks = [("cross", q["choice"].pk, {"option": option(q["choice"], 1)})]
    paths = []
    for index, shot in enumerate(photos(sheet, marks)):
        paths.append(tmp_path / f"{index}.png")
        paths[-1].write_bytes(shot)
    call_command("read_forms", *map(str, paths), stdout=io.StringIO())
    [elsewhere] = photos(sheet, marks, pages=[1], seed=7)
    photo = reading.scan_add(user=teller, session=second, data=elsewhere, origin="photo")
    [outcome] = reading.scan_read(photo, user=teller)
    assert (outcome.status, outcome.reason) == ("refused", "sheet_other_session")
    [unread] = photos(sheet, pages=[1], seed=9)
    lost = reading.scan_add(user=None, session=None, data=unread, origin="command")
    return session, second, photo, lost


@override_settings(RETENTION_PHOTOS_DAYS=30)
def test_scans_without_a_session_or_without_sheets_go_too(two_sessions, organiser):
    session, second, photo, lost = two_sessions
    process = session.process
    folder = reading.readings_dir()
    loose = FormScan.objects.filter(session=None, origin="command").exclude(pk=lost.pk)
    assert loose.count() == 2 and all(scan.file for scan in loose)
    assert PageReading.objects.filter(scan__in=loose).exclude(image="").count() == 2
    photo.refresh_from_db()
    assert photo.file and lost.file  # a page naming a sheet, and a file never read
    start = session.created_at
    with freeze_time(start + timedelta(days=1)):
        process_close(user=organiser, process=process)
    session.refresh_from_db()
    second.refresh_from_db()
    assert session.paper_closed_at is not None and second.paper_closed_at is None
    with freeze_time(start + timedelta(days=20)):
        purge()
    assert len(files(folder)) == 6  # 4 photos, 2 straightened pages: nothing due yet
    with freeze_time(start + timedelta(days=32)):
        out = purge()
    assert files(folder) == []
    assert not FormScan.objects.exclude(file="").exists()
    assert not PageReading.objects.exclude(image="").exists()
    # The process's log counts its own: both command-line pages and the second session's
    # photo; the file that names no sheet belongs to no process.
    logged = LogEntry.objects.get(process=process, action="retention.purged")
    assert (logged.data["photos"], logged.data["pages"]) == (3, 2)
    assert "Scans without a session: 1 photos" in out
    with freeze_time(start + timedelta(days=40)):
        assert "Nothing to remove." in purge()


@override_settings(RETENTION_PHOTOS_DAYS=30)
def test_a_loose_scan_waits_for_every_session_it_names(two_sessions, organiser):
    """A scan without a session goes only when the sessions of the sheets it names are
    due, not by its upload date; one that names none goes by its upload date."""
    session, _second, _photo, lost = two_sessions
    start = session.created_at
    with freeze_time(start + timedelta(days=32)):
        purge()  # paper counting is still open: only the file that names nothing goes
    lost.refresh_from_db()
    assert lost.file == ""
    assert FormScan.objects.filter(session=None).exclude(file="").count() == 2
