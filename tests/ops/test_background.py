"""Background jobs in real processes: at most BACKGROUND_PROCESSES at once however many
are asked for, each job once, every one finished, and their output in the log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions_app.models import ExportJob, PrintBatch
from sessions_app.services import background, exports, printing
from sessions_app.services.print_runs import print_batch_create

pytestmark = pytest.mark.django_db(transaction=True)
BASE = "https://inspraak.example.nl"
DEADLINE = 180


def marked_processes(mark: str) -> set[int]:
    """Live processes started with ``mark`` in their environment (the test's children,
    and whatever they became)."""
    needle = f"INSPRAAK_OPS_MARK={mark}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in environ.split(b"\0") and state != "Z":
            found.add(int(entry.name))
    return found


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def wait_watching(mark: str, done, seconds: float = DEADLINE) -> int:
    """Wait until ``done()``, sampling our processes; the most seen alive at once."""
    most = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        most = max(most, len(marked_processes(mark)))
        if done():
            break
        time.sleep(0.02)
    else:
        pytest.fail("the background jobs did not finish in time")
    # Let the last process exit after marking its job done.
    while marked_processes(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    return most


@pytest.fixture
def batches(paper_session, organiser):
    session, _questions = paper_session
    layout = printing.form_layout(session=session, large_print=False)

    def make(count: int, sheets: int = 6) -> list[PrintBatch]:
        return [
            print_batch_create(user=organiser, session=session, count=sheets, layout=layout)
            for _ in range(count)
        ]

    return make


def test_four_print_runs_with_a_cap_of_two(batches, in_children, settings, capfd):
    mark = uuid.uuid4().hex
    settings.BACKGROUND_PROCESSES = 2
    in_children(INSPRAAK_OPS_MARK=mark, BACKGROUND_PROCESSES="2", LOG_FORMAT="json")
    runs = batches(4)
    for batch in runs:
        printing.start_rendering(batch, BASE)  # four clicks at once
    # Two started, two wait in the queue.
    assert all(background.active("render_print_batch", str(b.pk)) for b in runs)
    pending = PrintBatch.objects.filter(pk__in=[b.pk for b in runs]).exclude(state="done")
    most = wait_watching(mark, lambda: not pending.exists())
    assert most == 2
    for batch in runs:
        batch.refresh_from_db()
        assert (batch.state, batch.progress) == ("done", 6)
        assert printing.batch_path(batch).read_bytes().startswith(b"%PDF")
    assert not list((Path(settings.MEDIA_ROOT) / ".background" / "queue").glob("*.json"))
    # Each run's process logged its start and end, as JSON lines with the job's kind and id.
    lines = json_lines(capfd.readouterr().err)
    for batch in runs:
        mine = [line for line in lines if line.get("job_id") == batch.pk]
        assert [line["outcome"] for line in mine if "outcome" in line] == ["started", "done"]
        assert {line["job"] for line in mine} == {"print"}


def test_a_job_runs_at_nice_10_in_a_session_whose_autogroup_is_lowered_too(batches, in_children):
    """Under Linux's autogroup scheduling a nice value counts only inside the session's
    group: a job in a session of its own at nice 10 took as much CPU as the whole server
    (``config/priority.py``). Its process is sampled while it draws a print run."""
    mark = uuid.uuid4().hex
    in_children(INSPRAAK_OPS_MARK=mark)
    [batch] = batches(1, sheets=12)
    printing.start_rendering(batch, BASE)
    seen: dict[int, tuple[int, int, str | None]] = {}
    deadline = time.monotonic() + DEADLINE
    while not PrintBatch.objects.filter(pk=batch.pk, state="done").exists():
        assert time.monotonic() < deadline, "the print run did not finish in time"
        for pid in marked_processes(mark):
            try:
                group = Path(f"/proc/{pid}/autogroup").read_text().strip()
            except FileNotFoundError:  # a kernel without autogroup
                group = None
            except OSError:
                continue
            try:
                seen[pid] = (os.getpriority(os.PRIO_PROCESS, pid), os.getsid(pid), group)
            except ProcessLookupError:
                continue
        time.sleep(0.02)
    assert seen, "the job's process was never seen running"
    for pid, (niceness, session, group) in seen.items():
        assert niceness == 10
        assert session == pid  # a session of its own (the server's signals do not reach it)
        if group is not None and autogroup_writable():
            assert group.endswith("nice 10"), group


def autogroup_writable() -> bool:
    """Whether a process in a new session may lower its autogroup here (a container may
    not let it)."""
    probe = "open('/proc/self/autogroup', 'w').write('10')"
    done = subprocess.run(
        [sys.executable, "-c", probe], start_new_session=True, capture_output=True
    )
    return done.returncode == 0


def test_a_job_asked_for_twice_at_once_runs_once(batches, in_children, settings, capfd):
    mark = uuid.uuid4().hex
    settings.BACKGROUND_PROCESSES = 3
    in_children(INSPRAAK_OPS_MARK=mark, LOG_FORMAT="json")
    [batch] = batches(1)
    for _ in range(3):  # a double (triple) click, or two servers
        printing.start_rendering(batch, BASE)
    most = wait_watching(
        mark, lambda: PrintBatch.objects.filter(pk=batch.pk, state="done").exists()
    )
    assert most == 1
    started = [
        line
        for line in json_lines(capfd.readouterr().err)
        if line.get("job_id") == batch.pk and line.get("outcome") == "started"
    ]
    assert len(started) == 1


def test_a_failing_job_leaves_its_error_in_the_log_and_its_row_failed(process, in_children, capfd):
    mark = uuid.uuid4().hex
    in_children(INSPRAAK_OPS_MARK=mark, LOG_FORMAT="json")
    # A format no writer knows: run_export fails before its own error handling.
    job = ExportJob.objects.create(process=process, format="nonsense")
    exports.start_export(job)
    wait_watching(mark, lambda: ExportJob.objects.filter(pk=job.pk, state="failed").exists())
    job.refresh_from_db()
    assert job.error == "KeyError: 'nonsense'" and job.finished_at is not None
    lines = [line for line in json_lines(capfd.readouterr().err) if line.get("job_id") == job.pk]
    [failure] = [line for line in lines if line["level"] == "ERROR"]
    assert failure["job"] == "export" and "KeyError" in failure["exception"]
    assert lines[-1]["outcome"] == "failed"


def test_a_job_stopped_by_sigterm_is_marked_failed(batches, in_children, capfd):
    mark = uuid.uuid4().hex
    in_children(INSPRAAK_OPS_MARK=mark, LOG_FORMAT="json")
    [batch] = batches(1, sheets=400)
    printing.start_rendering(batch, BASE)
    deadline = time.monotonic() + DEADLINE
    while not PrintBatch.objects.filter(pk=batch.pk, state="running").exists():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    [pid] = marked_processes(mark)
    os.kill(pid, 15)  # what systemd sends when the service stops
    wait_watching(mark, lambda: PrintBatch.objects.filter(pk=batch.pk, state="failed").exists())
    batch.refresh_from_db()
    assert batch.error == "interrupted"
    # Never printed: its sheets are voided, as for any failed run.
    assert set(batch.sheets.values_list("state", flat=True)) == {"voided"}
    lines = [x for x in json_lines(capfd.readouterr().err) if x.get("job_id") == batch.pk]
    assert any(line["message"] == "print interrupted (SIGTERM)" for line in lines)


def test_a_queued_job_is_not_taken_for_lost_and_starts_on_a_poll(
    process, organiser, client, settings, monkeypatch
):
    """Waiting in the queue behind others for longer than STALE_AFTER is not "lost"; the
    page polling its status starts it once a slot is free."""
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda command, **kw: started.append(command))
    settings.BACKGROUND_PROCESSES = 1
    long_ago = timezone.now() - timedelta(hours=1)
    job = ExportJob.objects.create(process=process, format="json")
    ExportJob.objects.filter(pk=job.pk).update(created_at=long_ago)
    # Another job's process holds the one slot.
    slot = background._free_slot()
    try:
        exports.start_export(job)
        job.refresh_from_db()
        assert started == [] and job.state == "pending"
        assert not exports.is_stale(job)  # queued
    finally:
        os.close(slot)
    # The slot is free: the next poll of the job's page starts it.
    client.force_login(organiser)
    url = reverse("designer:export_page", args=[process.slug, job.pk])
    assert client.get(url, {"format": "json"}).json()["state"] == "pending"
    assert [command[-2:] for command in started] == [["run_export", str(job.pk)]]
    # Its (fake) process never ran it: once its queue file is gone, it is lost.
    (Path(settings.MEDIA_ROOT) / ".background" / "queue" / f"run_export-{job.pk}.json").unlink()
    assert exports.is_stale(job)


def test_an_interruption_python_swallowed_is_raised_again(monkeypatch):
    """Python ignores an exception raised while some callbacks run (an import's module
    lock, a weak reference's); the job must still stop, at the next repeat."""
    import signal

    monkeypatch.setattr(background, "_stopping", False)
    previous = signal.signal(signal.SIGTERM, background._on_sigterm)
    try:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler raises here
        except background._Interrupted:
            pass  # ... and the exception is lost, as in such a callback
        deadline = time.monotonic() + 5
        with pytest.raises(background._Interrupted) as raised:
            while time.monotonic() < deadline:  # the job going on
                time.sleep(0.01)
        assert raised.value.code == 128 + signal.SIGTERM
    finally:
        background._stop_repeating()
        signal.signal(signal.SIGTERM, previous)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
