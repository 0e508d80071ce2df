"""A writer of its own: one thread per server process, with its own database connection,
that runs the phones' writes (the answer batches of ``realtime.batcher``, proposals).

Django runs every synchronous view, and Channels every ``database_sync_to_async`` call,
on one shared thread. Answers written there waited behind whatever page, export or teller
form happened to be running, and a page waited behind a batch. On this thread they wait
for nothing but the database itself: no view can delay an acknowledgement.

The connection is Django's own for this thread (connections are per thread), kept open
between jobs and closed only when it broke (a restarted database), so that the next job
opens a fresh one.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, connections

_NAME = "inspraak-writer"
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_NAME)
        return _executor


def _job(function, args, kwargs):
    try:
        return function(*args, **kwargs)
    finally:
        for connection in connections.all(initialized_only=True):
            if connection.connection is None:
                continue
            if connection.in_atomic_block:
                # A job never leaves a transaction open; if one did, it must not leak
                # into the next job.
                connection.close()
            elif connection.errors_occurred and not connection.is_usable():
                connection.close()
            else:
                connection.errors_occurred = False


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
        run_sync(connections.close_all)
