"""Council outputs made on request from the process page. Each is written by a separate,
lower-priority process (``manage.py run_export``), as print runs are: a workbook of a
hundred thousand responses takes seconds of CPU, which the server process owes to the
live session's websockets. Progress is saved as rows are read; the file lands in
MEDIA_ROOT/exports/ and is served only to the process's staff.

A request while the same output is still being made joins that run; a request when
nothing has been logged since the last finished file gets that file. Files are kept for
``KEEP_FOR`` and then removed with their job (``prune``: on every request, and by the
daily ``manage.py purge``). A file made before a text of its process was erased (by
``services.texts.erase``: a request, or retention) may still hold that text: from the
erasure on it is no longer handed out, and is removed with its job (``withdrawn``).
"""

from __future__ import annotations

import io
import logging
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from sessions_app import permissions
from sessions_app.exceptions import ExportError
from sessions_app.exports import data, open_data, report, tables, workbook
from sessions_app.models import ExportJob, Process, TextContent

from . import background

logger = logging.getLogger(__name__)

#: format → (writer, binary?, file ending, content type)
OUTPUTS = {
    ExportJob.Format.XLSX: (
        workbook.write,
        True,
        ".xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ExportJob.Format.PDF: (report.write, True, ".pdf", "application/pdf"),
    ExportJob.Format.JSON: (open_data.write, False, ".json", "application/json; charset=utf-8"),
    ExportJob.Format.JSON_STAFF: (
        open_data.write_staff,
        False,
        "-staff.json",
        "application/json; charset=utf-8",
    ),
    ExportJob.Format.CSV: (tables.write, True, "-csv.zip", "application/zip"),
}
#: A run still waiting or being made after this long was lost (a restart, a crash).
STALE_AFTER = timezone.timedelta(minutes=15)
KEEP_FOR = timezone.timedelta(days=1)
#: Progress is saved at most this often (seconds).
SAVE_EVERY = 0.5
ACTIVE = (ExportJob.State.PENDING, ExportJob.State.RUNNING)


def export_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "exports"


def file_path(job: ExportJob) -> Path | None:
    return export_dir() / job.file if job.file else None


def download_name(job: ExportJob) -> str:
    return f"{job.process.slug}{OUTPUTS[job.format][2]}"


def content_type(job: ExportJob) -> str:
    return OUTPUTS[job.format][3]


def is_stale(job: ExportJob) -> bool:
    """Waiting or being made long after it was asked for, and neither queued nor running
    here (``services.background``): lost to a restart or a crash."""
    return (
        job.state in ACTIVE
        and timezone.now() - job.created_at > STALE_AFTER
        and not background.active("run_export", str(job.pk))
    )


def capability(fmt: str) -> str:
    """The capability that asking for, following or downloading ``fmt`` needs: the staff
    variant of the open data (withheld texts, moderation reasons) is the organisers'."""
    return "design" if fmt == ExportJob.Format.JSON_STAFF else "review"


def export_request(*, user, process: Process, fmt: str) -> tuple[ExportJob, bool]:
    """The export job for ``fmt`` of ``process``, and whether it is new (and so must be
    started with ``start_export`` once committed).

    Raises ``AccessDenied`` (``not_staff``, ``role_required``: organisers, facilitators
    and reviewers only; the staff variant of the open data, with withheld texts, for
    organisers only) and ``ExportError`` (``export_format``). Nothing is stored on an
    error.
    """
    permissions.require(user, process, "review")
    permissions.require(user, process, capability(fmt))
    if fmt not in OUTPUTS:
        raise ExportError("export_format", params={"formats": ", ".join(OUTPUTS)})
    prune()
    with transaction.atomic():
        # One request at a time per process: two clicks make one run.
        process = Process.objects.select_for_update(no_key=True).get(pk=process.pk)
        jobs = ExportJob.objects.filter(process=process, format=fmt).order_by("-created_at")
        for job in jobs.filter(state__in=ACTIVE):
            if not is_stale(job):
                return job, False
            _fail(job, "lost")
        done = jobs.filter(state=ExportJob.State.DONE, log_seq=process.log_seq).first()
        if done is not None and file_path(done) and file_path(done).exists():
            return done, False
        job = ExportJob.objects.create(
            process=process,
            format=fmt,
            created_by=user if getattr(user, "pk", None) else None,
        )
    return job, True


def run_export(job_id: int, base_url: str = "") -> ExportJob:
    """Write the job's file, saving progress; mark it done, or failed. Only a waiting job
    is run, and only once: a second start finds it claimed and leaves it alone.
    ``base_url``: the address the export was asked for from (``start_export``), for the
    links in the file when ``SITE_URL`` is not set (``data.public_url``)."""
    claimed = ExportJob.objects.filter(pk=job_id, state=ExportJob.State.PENDING).update(
        state=ExportJob.State.RUNNING
    )
    job = ExportJob.objects.select_related("process").get(pk=job_id)
    if not claimed:
        return job
    process = job.process
    write, binary, ending, _type = OUTPUTS[job.format]
    name = f"{job.pk}-{secrets.token_urlsafe(12)}{ending}"
    directory = export_dir()
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / f".{name}.part"
    try:
        log_seq = Process.objects.values_list("log_seq", flat=True).get(pk=process.pk)
        total = data.rows_to_read(process)
        ExportJob.objects.filter(pk=job.pk).update(total=total, log_seq=log_seq)
        progress = _Progress(job)
        with partial.open("wb") as out, data.reporting(progress), data.site(base_url):
            if binary:
                write(process, out)
            else:
                text = io.TextIOWrapper(out, encoding="utf-8", newline="\n")
                write(process, text)
                text.flush()
                text.detach()
        partial.rename(directory / name)
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportJob.State.DONE,
            file=name,
            size=(directory / name).stat().st_size,
            progress=max(total, progress.done),
            total=max(total, progress.done),
            finished_at=timezone.now(),
        )
    except Exception as exc:
        logger.exception("export %s failed", job.pk)
        partial.unlink(missing_ok=True)
        _fail(job, str(exc))
    finally:
        progress_path(job).unlink(missing_ok=True)
    job.refresh_from_db()
    return job


def progress_path(job: ExportJob) -> Path:
    return export_dir() / f".{job.pk}.progress"


def rows_read(job: ExportJob) -> int:
    """The rows read so far: saved beside the file while the job runs (the export's
    transaction only reads, so the count cannot go into the database until it ends)."""
    if job.state != ExportJob.State.RUNNING:
        return job.progress
    try:
        return int(progress_path(job).read_text())
    except (OSError, ValueError):
        return job.progress


class _Progress:
    """Adds up the rows read and saves the sum now and then."""

    def __init__(self, job: ExportJob):
        self.path = progress_path(job)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.done = 0
        self.saved_at = 0.0

    def __call__(self, rows: int) -> None:
        self.done += rows
        now = time.monotonic()
        if now - self.saved_at >= SAVE_EVERY:
            self.saved_at = now
            spare = self.path.with_suffix(".tmp")
            spare.write_text(str(self.done))
            spare.replace(self.path)  # a reader sees the old sum or the new, never half


def _fail(job: ExportJob, error: str) -> None:
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportJob.State.FAILED, error=error[:2000], finished_at=timezone.now()
    )


def _withdrawn(now):
    """The finished jobs whose file may no longer be handed out: older than ``KEEP_FOR``,
    or asked for before a text of their process was erased (the file may hold the text).
    A job still waiting or being made is judged when it is finished."""
    erased = TextContent.objects.filter(
        process_id=OuterRef("process_id"), erased_at__gte=OuterRef("created_at")
    )
    return (
        ExportJob.objects.exclude(state__in=ACTIVE)
        .annotate(erased=Exists(erased))
        .filter(Q(created_at__lt=now - KEEP_FOR) | Q(erased=True))
    )


def withdrawn(job: ExportJob, now=None) -> bool:
    """Whether ``job`` is one of ``_withdrawn``."""
    return _withdrawn(now or timezone.now()).filter(pk=job.pk).exists()


def discard(job: ExportJob) -> None:
    """Delete the job with every file it left: the output, a half-written one, its
    progress."""
    path = file_path(job)
    if path is not None:
        path.unlink(missing_ok=True)
    progress_path(job).unlink(missing_ok=True)
    for partial in export_dir().glob(f".{job.pk}-*.part"):
        partial.unlink(missing_ok=True)
    ExportJob.objects.filter(pk=job.pk).delete()


def prune(now=None) -> int:
    """Remove, with their files, the finished jobs that are ``withdrawn`` (older than
    ``KEEP_FOR``, or made before an erasure of their process's texts) and the runs lost
    longer than ``KEEP_FOR`` ago; then any file in the export folder older than
    ``KEEP_FOR`` that no job names (a deleted process's, a crashed run's). Returns the
    number of jobs removed."""
    now = now or timezone.now()
    cutoff = now - KEEP_FOR
    finished = _withdrawn(now)
    lost = [
        job
        for job in ExportJob.objects.filter(state__in=ACTIVE, created_at__lt=cutoff)
        if is_stale(job)
    ]
    gone = [*finished, *lost]
    for job in gone:
        discard(job)
    _sweep(cutoff)
    return len(gone)


def _sweep(cutoff) -> None:
    directory = export_dir()
    if not directory.is_dir():
        return
    named = set(ExportJob.objects.exclude(file="").values_list("file", flat=True))
    running = [
        f".{pk}" for pk in ExportJob.objects.filter(state__in=ACTIVE).values_list("pk", flat=True)
    ]
    for path in directory.iterdir():
        if not path.is_file() or path.name in named:
            continue
        if any(path.name.startswith((f"{p}-", f"{p}.")) for p in running):
            continue  # a run's half-written file or progress
        try:
            if path.stat().st_mtime < cutoff.timestamp():
                path.unlink(missing_ok=True)
        except OSError:
            continue


def start_export(job: ExportJob, base_url: str = "") -> None:
    """Run in a separate process, at a lower priority than the live session, when one of
    the background slots is free (``services.background``). Call it after the job is
    committed (the other process reads it from the database). ``base_url``: the address
    of the request that asked for it (``request.build_absolute_uri("/")``, whose host
    Django checked against ``ALLOWED_HOSTS``), handed to the process for the file's
    links when ``SITE_URL`` is not set; only its scheme and host are kept."""
    address = data.site_address(base_url) if base_url else ""
    background.start_command(
        "run_export", str(job.pk), *(("--base-url", address) if address else ())
    )
