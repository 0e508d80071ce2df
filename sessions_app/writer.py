"""A writer of its own: one thread per server process, with its own database connection,
that runs the phones' writes (the answer batches of ``realtime.batcher``, proposals).

Channels runs every ``database_sync_to_async`` call on one shared thread, and any code
can ask for that thread (``sync_to_async`` outside a request). Answers written there
waited behind whatever else happened to run on it, and that waited behind a batch. On
this thread they wait for nothing but the database itself: no view can delay an
acknowledgement.

The connection is Django's own for this thread (connections are per thread), kept open
between jobs and closed only when it broke (a restarted database), so that the next job
opens a fresh one. On SQLite it leaves copying the write-ahead log back into the database
(a checkpoint) to a thread of its own: SQLite does that every 1,000 pages in whichever
connection commits then, and a batch that met it took 20-30 ms instead of 5.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, connections

logger = logging.getLogger(__name__)

_NAME = "inspraak-writer"
#: SQLite: seconds between the checkpoints of the write-ahead log.
CHECKPOINT_EVERY = 1.0
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
#: The SQLite connection the writer last set up, and the files checkpointed already.
_prepared: object = None
_checkpointed: set[str] = set()


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_NAME)
        return _executor


def _job(function, args, kwargs):
    _prepare()
    try:
        return function(*args, **kwargs)
    finally:
        for database in connections.all(initialized_only=True):
            if database.connection is None:
                continue
            if database.in_atomic_block:
                # A job never leaves a transaction open; if one did, it must not leak
                # into the next job.
                database.close()
            elif database.errors_occurred and not database.is_usable():
                database.close()
            else:
                database.errors_occurred = False


def _prepare() -> None:
    """On SQLite: the writer's connection does not checkpoint; a thread does, per file."""
    global _prepared
    database = connections["default"]
    if database.vendor != "sqlite":
        return
    database.ensure_connection()
    if database.connection is _prepared:
        return
    with database.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    _prepared = database.connection
    path = str(database.settings_dict["NAME"])
    with _lock:
        if path in _checkpointed:
            return
        _checkpointed.add(path)
    threading.Thread(
        target=_checkpoints, args=(path,), name=f"{_NAME}-checkpoints", daemon=True
    ).start()


def _checkpoints(path: str) -> None:
    """Copy the write-ahead log back into the database every ``CHECKPOINT_EVERY``
    seconds, as far as readers allow, without waiting for anyone (``PASSIVE``)."""
    connection = sqlite3.connect(path, timeout=5, isolation_level=None)
    while True:
        time.sleep(CHECKPOINT_EVERY)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:  # the file went away (a test database): stop here
            logger.warning("checkpointing %s failed", path, exc_info=True)
            connection.close()
            with _lock:
                _checkpointed.discard(path)
            return


async def run(function, /, *args, **kwargs):
    """Run ``function(*args, **kwargs)`` on the writer thread and return its result (or
    raise its exception). Jobs run one at a time, in the order they were given."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool(), _job, function, args, kwargs)


def run_sync(function, /, *args, **kwargs):
    """``run`` for synchronous code: blocks the calling thread until the job is done."""
    return _pool().submit(_job, function, args, kwargs).result()


def call(function, /, *args, **kwargs):
    """A write from synchronous code (a view): on the writer thread, so that it takes
    its turn with the phones' answers instead of competing with them for the database's
    locks; the caller waits for it. Inline when already on the writer thread, or inside
    a transaction, which the write must be part of (and is, in tests)."""
    if connection.in_atomic_block or threading.current_thread().name.startswith(_NAME):
        return function(*args, **kwargs)
    return run_sync(function, *args, **kwargs)


def close_connections() -> None:
    """Close the writer's database connections (tests do, so that PostgreSQL can drop
    its test database; the next job opens a new one)."""
    if _executor is not None:
        _executor.submit(connections.close_all).result()
