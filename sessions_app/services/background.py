"""Work that must not run in the server process (drawing print runs, writing exports,
reading scans, the daily purge): a management command in a separate process, niced by 10
(``config.priority``: with its session's autogroup),
at most ``BACKGROUND_PROCESSES`` of them at once on this machine, whatever the number of
server processes; the rest wait in a queue. A print run takes some 225 MB: four clicks
used to start four processes.

The queue and the cap are files under ``MEDIA_ROOT/.background/``, with locks the kernel
lets go of when their process ends, however it ends:

- ``queue/<command>-<id>.json``: a job waiting or running, one file per job, so that a
  job asked for twice (a double click, every server's daily tick) is queued once.
  Its process holds a lock on it while it runs: a locked file is running, an unlocked one
  waiting (again, if its process died).
- ``slots/0 … N-1``: a process holds one of these locks for its life. Whoever starts a job
  takes a free slot and hands it to the process (an inherited file descriptor).
- ``dispatch.lock``: held for a moment by whoever decides what starts next, so that a job
  queued just as a process ends is never left waiting with a slot free.

A job is started by whoever queues it (``start_command``) when a slot is free. When a job
ends, its process takes the next waiting one itself and becomes it (``exec``: the same
slot, fresh memory), or lets its slot go. A process lost to a crash lets its slot go
without starting the next: ``dispatch`` runs again on the pages that follow a job and on
the daily tick.

The process's output goes into the server's log (standard error: the journal, the
container's log): log lines with the job's kind and id (``config.logging``), the
command's own output as such lines, and a failure with its traceback; a job that fails
leaves its row marked failed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

logger = logging.getLogger("inspraak.jobs")

#: The wrapper command every background process runs (``management/commands/background.py``).
WRAPPER = "background"


@dataclass(frozen=True)
class Kind:
    """A command run in the background: its name in the log (``job``), and the model
    whose row (by the command's first argument) is marked failed when the process fails
    before the command did so itself, through ``fail`` (a dotted path of
    ``fail(row, error)``) or by setting its state."""

    name: str
    model: str | None = None
    fail: str | None = None


KINDS = {
    "render_print_batch": Kind(
        "print", "sessions_app.PrintBatch", "sessions_app.services.print_runs.print_batch_failed"
    ),
    "run_export": Kind("export", "sessions_app.ExportJob"),
    "read_scan": Kind("scan", "sessions_app.FormScan"),
    "purge": Kind("purge"),
    # Following by e-mail: confirmation links and news, batched and rate-limited.
    "send_notifications": Kind("mail"),
}
ACTIVE_STATES = ("pending", "running")


def _root() -> Path:
    return Path(settings.MEDIA_ROOT) / ".background"


def _queue() -> Path:
    return _root() / "queue"


def job_key(args: Sequence[str]) -> str:
    """The job's name in the queue: its command and id (``render_print_batch-12``); other
    arguments (a print run's base URL) do not make another job."""
    ident = args[1] if len(args) > 1 and args[1].isdigit() else ""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{args[0]}-{ident}" if ident else args[0])


def active(*args: str) -> bool:
    """Whether the job is queued or running (its process alive, or not yet found dead)."""
    return (_queue() / f"{job_key(args)}.json").exists()


def start_command(*args: str) -> None:
    """Run ``manage.py ARGS…`` in the background: queued, and started now if fewer than
    ``BACKGROUND_PROCESSES`` run. Call it after the work it is to do is committed (the
    other process reads it from the database)."""
    _enqueue(args)
    dispatch()


def _enqueue(args: Sequence[str]) -> bool:
    queue = _queue()
    queue.mkdir(parents=True, exist_ok=True)
    entry = queue / f"{job_key(args)}.json"
    if entry.exists():
        return False
    # Written whole under another name, then linked: a reader never sees half a file, and
    # of two servers queueing the same job at once one link fails.
    spare = queue / f".{entry.name}.{os.getpid()}.{secrets.token_hex(4)}"
    spare.write_text(json.dumps({"args": list(args), "queued_at": time.time()}))
    try:
        os.link(spare, entry)
    except FileExistsError:
        return False
    finally:
        spare.unlink(missing_ok=True)
    return True


def _entries() -> list[Path]:
    """Queued jobs, oldest first (waiting and running alike)."""
    try:
        found = [(p.stat().st_mtime_ns, p.name, p) for p in _queue().glob("*.json")]
    except FileNotFoundError:
        return []
    return [path for _mtime, _name, path in sorted(found)]


@contextmanager
def _deciding() -> Iterator[None]:
    _root().mkdir(parents=True, exist_ok=True)
    fd = os.open(_root() / "dispatch.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _free_slot() -> int | None:
    """A locked slot's file descriptor, or None if all ``BACKGROUND_PROCESSES`` are taken."""
    slots = _root() / "slots"
    slots.mkdir(parents=True, exist_ok=True)
    for index in range(settings.BACKGROUND_PROCESSES):
        fd = os.open(slots / str(index), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return fd
    return None


def _claim(entry: Path) -> tuple[int, list[str]] | None:
    """Lock a waiting job's file: its descriptor and arguments, or None when it is running
    or gone."""
    try:
        fd = os.open(entry, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # The process that ran it may have removed it between our open and our lock.
        if os.fstat(fd).st_ino != os.stat(entry).st_ino:
            raise FileNotFoundError(entry)
        args = json.loads(os.pread(fd, 1 << 16, 0))["args"]
        if not args or not all(isinstance(arg, str) for arg in args):
            raise ValueError("no command")
    except (BlockingIOError, FileNotFoundError):
        os.close(fd)
        return None
    except (OSError, ValueError, KeyError, TypeError):
        logger.error("a queued job cannot be read and is dropped: %s", entry.name)
        entry.unlink(missing_ok=True)
        os.close(fd)
        return None
    return fd, args


def dispatch() -> int:
    """Start waiting jobs while slots are free; the number started."""
    if not _entries():
        return 0
    started = 0
    with _deciding():
        for entry in _entries():
            slot = _free_slot()
            if slot is None:
                break
            claim = _claim(entry)
            if claim is None:
                os.close(slot)
                continue
            fd, args = claim
            try:
                _spawn(args, slot, fd)
            except OSError:
                logger.exception("a background process did not start")
                break
            finally:
                # The process holds both locks now; ours go.
                os.close(slot)
                os.close(fd)
            started += 1
    return started


def _command(args: Sequence[str], slot: int, entry: int) -> list[str]:
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    fds = ["--slot-fd", str(slot), "--entry-fd", str(entry)]
    return [sys.executable, manage, WRAPPER, *fds, *args]


def _log_fd() -> int:
    """Our standard error, where the process's lines go too (``stdout`` included)."""
    try:
        os.fstat(2)
    except OSError:
        return subprocess.DEVNULL
    return 2


def _spawn(args: Sequence[str], slot: int, entry: int) -> None:
    output = _log_fd()
    subprocess.Popen(  # noqa: S603 - our own command, no shell
        _command(args, slot, entry),
        cwd=settings.BASE_DIR,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=output,
        pass_fds=(slot, entry),
        start_new_session=True,
    )


# --- In the background process ----------------------------------------------------------


class _Interrupted(SystemExit):
    """SIGTERM (a deployment stopping the service): the job fails rather than hanging on
    as "being made" until someone notices."""


#: After SIGTERM the interruption is raised again this often (seconds) until the job has
#: ended: Python ignores an exception raised while certain callbacks run (an import's
#: module lock being released, a weak reference's callback), and the job went on.
REPEAT_SECONDS = 0.5
_stopping = False


def _on_sigterm(signum, frame):
    global _stopping
    if not _stopping:
        _stopping = True
        signal.signal(signal.SIGALRM, _on_sigterm)
        signal.setitimer(signal.ITIMER_REAL, REPEAT_SECONDS, REPEAT_SECONDS)
    raise _Interrupted(128 + signal.SIGTERM)


def _stop_repeating() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)


class _LineLog:
    """A command's ``stdout``/``stderr``: each line becomes a log record of the job."""

    def __init__(self, level: int):
        self.level, self.pending = level, ""

    def write(self, text: str) -> int:
        *lines, self.pending = (self.pending + text).split("\n")
        for line in lines:
            if line.strip():
                logger.log(self.level, "%s", line)
        return len(text)

    def flush(self) -> None:
        if self.pending.strip():
            logger.log(self.level, "%s", self.pending)
        self.pending = ""

    def isatty(self) -> bool:
        return False


def run_queued(args: Sequence[str], *, slot: int, entry: int) -> None:
    """Run one queued job in this process (the ``background`` command), then the next
    waiting one, if any, in its place."""
    from django.core.management import call_command

    from config.logging import context_set

    kind = KINDS.get(args[0], Kind(args[0]))
    job_id = int(args[1]) if len(args) > 1 and args[1].isdigit() else None
    context_set(job=kind.name, job_id=job_id)
    signal.signal(signal.SIGTERM, _on_sigterm)
    started = time.monotonic()
    logger.info("%s started", kind.name, extra={"outcome": "started"})
    outcome = "done"
    try:
        out, err = _LineLog(logging.INFO), _LineLog(logging.WARNING)
        with contextlib.redirect_stdout(out):  # a library's print() too
            call_command(*args, stdout=out, stderr=err)
        out.flush()
        err.flush()
    except BaseException as error:  # whatever ends the job (SIGTERM too) is logged
        _stop_repeating()
        outcome = "failed"
        if isinstance(error, _Interrupted):
            logger.error("%s interrupted (SIGTERM)", kind.name)
        else:
            logger.exception("%s failed", kind.name)
        _mark_failed(kind, job_id, "interrupted" if isinstance(error, _Interrupted) else error)
    logger.info(
        "%s %s",
        kind.name,
        outcome,
        extra={"outcome": outcome, "duration_ms": round((time.monotonic() - started) * 1000)},
    )
    _stop_repeating()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _next(args, slot, entry, stopping=_stopping)
    if _stopping:
        raise SystemExit(128 + signal.SIGTERM)


def _mark_failed(kind: Kind, job_id: int | None, error) -> None:
    if kind.model is None or job_id is None:
        return
    from django.apps import apps
    from django.db import close_old_connections
    from django.utils import timezone
    from django.utils.module_loading import import_string

    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    try:
        close_old_connections()
        model = apps.get_model(kind.model)
        row = model.objects.filter(pk=job_id, state__in=ACTIVE_STATES).first()
        if row is None:
            return
        if kind.fail:
            import_string(kind.fail)(row, text)
        else:
            model.objects.filter(pk=job_id, state__in=ACTIVE_STATES).update(
                state="failed", error=text[:500], finished_at=timezone.now()
            )
    except Exception:
        logger.exception("the failed job's row could not be marked failed")


def _next(args: Sequence[str], slot: int, entry: int, *, stopping: bool = False) -> None:
    """Remove our job from the queue; become the next waiting job, or let the slot go
    (``stopping``: the service is stopping, and the waiting jobs wait for its start)."""
    path = _queue() / f"{job_key(args)}.json"
    try:
        if os.stat(path).st_ino == os.fstat(entry).st_ino:
            path.unlink()
    except FileNotFoundError:
        pass
    os.close(entry)
    with _deciding():
        for candidate in [] if stopping else _entries():
            claim = _claim(candidate)
            if claim is not None:
                _become(claim[1], slot, claim[0])  # returns only if exec failed
                break
        # Inside the decision: a job queued from now on finds this slot free.
        os.close(slot)


def _become(args: list[str], slot: int, entry: int) -> None:
    """Replace this process with the one running ``args``, keeping the slot."""
    from django.db import connections

    connections.close_all()
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    os.set_inheritable(slot, True)
    os.set_inheritable(entry, True)
    try:
        os.execv(sys.executable, _command(args, slot, entry))  # noqa: S606 - our own command
    except OSError:
        logger.exception("the next background job did not start")
        os.close(entry)
