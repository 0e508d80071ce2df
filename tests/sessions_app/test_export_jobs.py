"""Council outputs asked for on the process page: made in a background job with
progress, downloaded by the process's staff only, one run per request however often the
button is pressed, and an export that only reads never holds the database's write lock."""

import io
import json
import os
import sqlite3
import threading
import zipfile
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from sessions_app.exceptions import AccessDenied, ExportError
from sessions_app.exports import data, open_data
from sessions_app.models import ExportJob, Role, TextContent
from sessions_app.services import exports, texts
from tests.paper_fixtures import option
from tests.sessions_app.test_open_data import _answer, _phone, town_hall  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def started():
    """The jobs the views hand to a background process (run here by the test)."""
    with mock.patch.object(exports, "start_export") as start:
        yield start


def ask(client, process, fmt, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("designer:export_create", args=[process.slug]), {"format": fmt})


def status(client, process, job):
    url = reverse("designer:export_page", args=[process.slug, job.pk])
    return client.get(url, {"format": "json"}).json()


def downloaded(client, process, job) -> bytes:
    got = client.get(reverse("designer:export_file", args=[process.slug, job.pk]))
    assert got.status_code == 200
    return got, b"".join(got.streaming_content)


def test_a_reviewer_asks_follows_and_downloads_every_output(
    town_hall,  # noqa: F811
    client,
    make_user,
    grant,
    started,
    django_capture_on_commit_callbacks,
):
    session, _questions = town_hall
    process = session.process
    reviewer = make_user("rik")
    grant(process, reviewer, Role.REVIEWER)
    client.force_login(reviewer)
    detail = client.get(reverse("designer:process_detail", args=[process.slug])).content.decode()
    assert reverse("designer:export_create", args=[process.slug]) in detail
    assert 'value="xlsx"' in detail and 'value="csv"' in detail
    files = {}
    for fmt in ("json", "xlsx", "csv", "pdf"):
        answer = ask(client, process, fmt, django_capture_on_commit_callbacks)
        job = ExportJob.objects.get(process=process, format=fmt)
        assert answer.status_code == 302
        assert answer.url == reverse("designer:export_page", args=[process.slug, job.pk])
        started.assert_called_with(job, "http://testserver/")
        assert status(client, process, job)["state"] == "pending"
        page = client.get(answer.url).content.decode()
        assert 'aria-live="polite"' in page and "job-progress" in page
        call_command("run_export", str(job.pk), stdout=io.StringIO())
        job.refresh_from_db()
        assert job.state == "done" and job.total > 0 and job.progress == job.total
        shown = status(client, process, job)
        assert shown["state"] == "done" and shown["progress"] == shown["total"] == job.total
        got, files[fmt] = downloaded(client, process, job)
        assert job.size == len(files[fmt])
    assert got["Content-Type"] == "application/pdf"
    assert f'filename="{process.slug}.pdf"' in got["Content-Disposition"]
    opened = json.loads(files["json"])
    assert opened["process"]["slug"] == process.slug and opened["responses"]
    assert "Uitkomsten" in load_workbook(io.BytesIO(files["xlsx"])).sheetnames
    assert f"{process.slug}/results.csv" in zipfile.ZipFile(io.BytesIO(files["csv"])).namelist()
    assert files["pdf"].startswith(b"%PDF")


def test_pressing_again_joins_the_run_and_an_unchanged_process_gets_the_same_file(
    town_hall,  # noqa: F811
    organiser,
    started,
):
    session, questions = town_hall
    process = session.process
    first, new = exports.export_request(user=organiser, process=process, fmt="xlsx")
    again, new_again = exports.export_request(user=organiser, process=process, fmt="xlsx")
    assert new and not new_again and again == first
    exports.run_export(first.pk)
    assert exports.run_export(first.pk).state == "done"  # a second start leaves it alone
    same, new = exports.export_request(user=organiser, process=process, fmt="xlsx")
    assert same == first and not new
    other, new = exports.export_request(user=organiser, process=process, fmt="json")
    assert new and other != first
    # A new answer is logged: the file no longer shows the whole process, so a new one.
    _answer(
        _phone(session, "room"), questions["choice"], {"option": option(questions["choice"], 0)}
    )
    fresh, new = exports.export_request(user=organiser, process=process, fmt="xlsx")
    assert new and fresh != first
    assert ExportJob.objects.filter(process=process).count() == 3


def test_wrong_formats_and_roles_are_refused_and_nothing_is_made(
    town_hall,  # noqa: F811
    client,
    make_user,
    grant,
    make_process,
    started,
    django_capture_on_commit_callbacks,
):
    session, _questions = town_hall
    process = session.process
    organiser = process.staff_roles.get(role=Role.ORGANISER).user
    with pytest.raises(ExportError) as refused:
        exports.export_request(user=organiser, process=process, fmt="exe")
    assert refused.value.code == "export_format" and "xlsx" in refused.value.message
    teller = make_user("tim")
    grant(process, teller, Role.TELLER)
    with pytest.raises(AccessDenied) as denied:
        exports.export_request(user=teller, process=process, fmt="json")
    assert denied.value.code == "role_required"
    client.force_login(organiser)
    answer = ask(client, process, "exe", django_capture_on_commit_callbacks)
    assert answer.status_code == 302 and answer.url.endswith(f"/manage/{process.slug}/")
    assert not ExportJob.objects.exists() and not started.called
    job, _new = exports.export_request(user=organiser, process=process, fmt="json")
    exports.run_export(job.pk)
    urls = [
        reverse("designer:export_page", args=[process.slug, job.pk]),
        reverse("designer:export_file", args=[process.slug, job.pk]),
    ]
    # Staff of another process, a teller of this one: a 404, as if nothing were there.
    stranger = make_user("sam")
    elsewhere = make_process(user=stranger, title="Ander proces")
    for user in (stranger, teller):
        client.force_login(user)
        assert all(client.get(url).status_code == 404 for url in urls)
        answer = ask(client, process, "json", django_capture_on_commit_callbacks)
        assert answer.status_code == 404
    # Nor can a job be reached through another process's address.
    client.force_login(stranger)
    assert (
        client.get(reverse("designer:export_file", args=[elsewhere.slug, job.pk])).status_code
        == 404
    )
    client.logout()
    assert client.get(urls[1]).status_code == 302  # to the login page
    assert ExportJob.objects.count() == 1


def test_a_failed_export_leaves_no_file_and_can_be_asked_for_again(
    town_hall,  # noqa: F811
    client,
    organiser,
    started,
    django_capture_on_commit_callbacks,
):
    session, _questions = town_hall
    process = session.process
    job, _new = exports.export_request(user=organiser, process=process, fmt="xlsx")
    broken = mock.patch.dict(
        exports.OUTPUTS,
        {"xlsx": (mock.Mock(side_effect=OSError("disk full")), True, ".xlsx", "x")},
    )
    with broken:
        failed = exports.run_export(job.pk)
    assert failed.state == "failed" and "disk full" in failed.error and not failed.file
    assert not any(exports.export_dir().glob(f"*{job.pk}*"))
    client.force_login(organiser)
    page = client.get(reverse("designer:export_page", args=[process.slug, job.pk]))
    shown = page.content.decode()
    assert 'role="alert"' in shown and 'name="format" value="xlsx"' in shown  # ask again
    assert (
        client.get(reverse("designer:export_file", args=[process.slug, job.pk])).status_code == 404
    )
    answer = ask(client, process, "xlsx", django_capture_on_commit_callbacks)
    again = ExportJob.objects.exclude(pk=job.pk).get()
    assert answer.url.endswith(f"/exports/{again.pk}/") and again.state == "pending"


def test_a_lost_run_is_given_up_and_old_files_are_removed(town_hall, organiser, started):  # noqa: F811
    session, _questions = town_hall
    process = session.process
    lost, _new = exports.export_request(user=organiser, process=process, fmt="json")
    ExportJob.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=1))
    fresh, new = exports.export_request(user=organiser, process=process, fmt="json")
    lost.refresh_from_db()
    assert new and fresh != lost and lost.state == "failed" and lost.error == "lost"
    exports.run_export(fresh.pk)
    path = exports.file_path(ExportJob.objects.get(pk=fresh.pk))
    assert path.exists()
    ExportJob.objects.update(created_at=timezone.now() - timedelta(days=2))
    exports.export_request(user=organiser, process=process, fmt="pdf")
    assert not path.exists()
    assert list(ExportJob.objects.values_list("format", flat=True)) == ["pdf"]


def test_progress_counts_every_row_read_and_is_seen_while_running(town_hall, organiser):  # noqa: F811
    session, _questions = town_hall
    process = session.process
    process.refresh_from_db()
    counted = []
    with data.reporting(counted.append):
        open_data.write(process, io.StringIO())
    assert sum(counted) == data.rows_to_read(process) > 0
    job = ExportJob.objects.create(process=process, format="json", state="running", total=50)
    progress = exports._Progress(job)
    with mock.patch.object(exports, "SAVE_EVERY", 0):
        progress(20)
        progress(15)
    assert exports.rows_read(job) == 35
    job.state = "done"
    job.progress = 50
    assert exports.rows_read(job) == 50


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_an_export_on_sqlite_lets_answers_be_written_meanwhile(organiser, make_process):
    """The project's SQLite transactions begin IMMEDIATE (they take the write lock); an
    export's snapshot must not, or every answer would wait for the whole export."""
    make_process(title="Begroting")
    path = connection.settings_dict["NAME"]
    outcome = {}

    def write_meanwhile():
        other = sqlite3.connect(path, timeout=0.5)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE sessions_app_process SET title = title")
            other.commit()
            outcome["wrote"] = True
        except sqlite3.OperationalError as error:
            outcome["error"] = str(error)
        finally:
            other.close()

    with data.snapshot():
        list(data.log_entries(organiser.staff_roles.first().process))
        writer = threading.Thread(target=write_meanwhile)
        writer.start()
        writer.join()
    assert outcome == {"wrote": True}
    # And the project's own writes still begin IMMEDIATE afterwards.
    assert connection.transaction_mode == "IMMEDIATE"


def test_the_staff_variant_is_the_organisers_alone_from_request_to_file(
    town_hall,  # noqa: F811
    client,
    make_user,
    grant,
    started,
    django_capture_on_commit_callbacks,
):
    """A facilitator or reviewer who asks for the staff variant, or opens an organiser's
    staff job by its number, gets a 404 (not an error page, not the withheld texts)."""
    session, _questions = town_hall
    process = session.process
    organiser = process.staff_roles.get(role=Role.ORGANISER).user
    job, _new = exports.export_request(user=organiser, process=process, fmt="json-staff")
    exports.run_export(job.pk)
    urls = [
        reverse("designer:export_page", args=[process.slug, job.pk]),
        reverse("designer:export_file", args=[process.slug, job.pk]),
    ]
    for role in (Role.FACILITATOR, Role.REVIEWER):
        user = make_user(f"staff-{role}")
        grant(process, user, role)
        client.force_login(user)
        answer = ask(client, process, "json-staff", django_capture_on_commit_callbacks)
        assert answer.status_code == 404
        assert all(client.get(url).status_code == 404 for url in urls)
    assert ExportJob.objects.count() == 1
    client.force_login(organiser)
    _got, body = downloaded(client, process, job)
    assert json.loads(body)["process"]["slug"] == process.slug


def _made(organiser, process, fmt):
    job, _new = exports.export_request(user=organiser, process=process, fmt=fmt)
    job = exports.run_export(job.pk)
    assert job.state == "done" and exports.file_path(job).exists()
    return job


def test_a_file_past_its_day_is_not_handed_out_and_the_daily_purge_removes_it(
    town_hall,  # noqa: F811
    client,
    organiser,
    started,
):
    """``KEEP_FOR`` holds for the download and for the disk, even when nobody asks for
    another export (the only moment the files used to be pruned)."""
    session, _questions = town_hall
    process = session.process
    old = _made(organiser, process, "json-staff")
    kept = _made(organiser, process, "xlsx")
    old_path, kept_path = exports.file_path(old), exports.file_path(kept)
    client.force_login(process.staff_roles.get(role=Role.ORGANISER).user)
    ExportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    for name in ("designer:export_file", "designer:export_page"):
        assert client.get(reverse(name, args=[process.slug, old.pk])).status_code == 404
    assert not old_path.exists() and not ExportJob.objects.filter(pk=old.pk).exists()
    # The daily purge: nobody downloads it, nobody asks for another one.
    call_command("purge", stdout=io.StringIO())
    assert kept_path.exists()  # not a day old yet
    ExportJob.objects.filter(pk=kept.pk).update(created_at=timezone.now() - timedelta(days=2))
    call_command("purge", stdout=io.StringIO())
    assert not kept_path.exists() and not ExportJob.objects.exists()


def test_an_export_made_before_an_erasure_is_neither_downloaded_nor_kept(
    town_hall,  # noqa: F811
    client,
    organiser,
    started,
):
    """The staff variant holds withheld texts: once a text of the process is erased, a
    file asked for before the erasure may still hold it, so it is gone too."""
    session, _questions = town_hall
    process = session.process
    owner = process.staff_roles.get(role=Role.ORGANISER).user
    before = _made(owner, process, "json-staff")
    other = _made(owner, process, "csv")
    path, other_path = exports.file_path(before), exports.file_path(other)
    assert "Meer bankjes" in path.read_text()
    text = TextContent.objects.get(process=process, text="Meer bankjes in de schaduw")
    texts.erase(process=process, commitments=[text.commitment], reason="request", actor="test")
    assert exports.withdrawn(ExportJob.objects.get(pk=before.pk))
    client.force_login(owner)
    url = reverse("designer:export_file", args=[process.slug, before.pk])
    assert client.get(url).status_code == 404
    assert not path.exists() and not ExportJob.objects.filter(pk=before.pk).exists()
    # The other file, never opened again, goes with the daily purge.
    call_command("purge", stdout=io.StringIO())
    assert not other_path.exists() and not ExportJob.objects.filter(pk=other.pk).exists()
    # One asked for after the erasure is made afresh, without the text, and handed out.
    after = _made(owner, process, "json-staff")
    _got, body = downloaded(client, process, after)
    assert b"Meer bankjes" not in body
    assert not exports.withdrawn(after)


def test_a_running_export_is_judged_when_it_is_finished(town_hall, organiser, started):  # noqa: F811
    """A run asked for before the erasure and finished after it may hold the text."""
    session, _questions = town_hall
    process = session.process
    job, _new = exports.export_request(user=organiser, process=process, fmt="json-staff")
    text = TextContent.objects.filter(process=process, erased_at__isnull=True).first()
    texts.erase(process=process, commitments=[text.commitment], reason="request", actor="test")
    assert not exports.withdrawn(job)  # still waiting: not judged yet
    assert exports.prune() == 0 and ExportJob.objects.filter(pk=job.pk).exists()
    finished = exports.run_export(job.pk)
    assert exports.withdrawn(finished)
    assert exports.prune() == 1 and not exports.file_path(finished).exists()


def test_prune_removes_lost_runs_and_files_no_job_names(town_hall, organiser, started):  # noqa: F811
    session, _questions = town_hall
    process = session.process
    lost, _new = exports.export_request(user=organiser, process=process, fmt="pdf")
    ExportJob.objects.filter(pk=lost.pk).update(state="running")
    folder = exports.export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{lost.pk}-abc.pdf.part"
    partial.write_bytes(b"%PDF half")
    stray, fresh = folder / "999-gone.json", folder / "998-new.json"
    stray.write_text("{}")
    fresh.write_text("{}")
    day_ago = (timezone.now() - timedelta(days=2)).timestamp()
    os.utime(stray, (day_ago, day_ago))
    os.utime(partial, (day_ago, day_ago))
    ExportJob.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(days=2))
    assert exports.prune() == 1
    assert not partial.exists() and not stray.exists() and fresh.exists()
    assert not ExportJob.objects.exists()
