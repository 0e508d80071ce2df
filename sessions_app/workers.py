"""The worker process for CPU work that must not slow a live session (the opinion map, a
teller's photo): one per server process, shared by all such work, started on first use,
at the lowest priority, so that on a busy core the server (answers, acknowledgements)
always goes first. Jobs run one at a time. "spawn", because the server runs threads, which
forking would copy half-way. Pure: importable by the worker without Django."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

logger = logging.getLogger(__name__)

_pool: ProcessPoolExecutor | None = None
#: Requests on different event loops and threads may ask for the pool at once.
_lock = threading.Lock()


#: The numeric libraries' thread pools (OpenBLAS, OpenMP, MKL) in the worker: one thread.
#: With more, a job splits its matrix work across cores, and a thread of the lowest
#: priority on a core the server or anything else keeps busy gets next to no time, while
#: the others wait for it: a map took 5 s instead of 0.8 with the second core busy.
WORKER_THREADS = "1"


def lower_priority() -> None:
    """A worker process's start: the lowest priority, and numeric work on one thread."""
    os.nice(19)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = WORKER_THREADS
    # The libraries may already be loaded: then their pools are limited directly.
    from threadpoolctl import threadpool_limits

    threadpool_limits(int(WORKER_THREADS))


def _low_priority_pool() -> ProcessPoolExecutor:
    """A new pool of one worker process at the lowest priority."""
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=lower_priority,
    )


def worker_pool() -> ProcessPoolExecutor:
    """This server process's pool, started on first use."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = _low_priority_pool()
        return _pool


def _replace(broken: ProcessPoolExecutor) -> None:
    """Drop a pool whose worker died (killed, out of memory): the next job starts a new
    one. Only if it is still the current pool: another job may have replaced it already."""
    global _pool
    with _lock:
        if _pool is not broken:
            return
        _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def worker_pool_reset() -> None:
    """Stop the worker, if any; the next job starts a new one (tests)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


async def run_in_worker(function, *args):
    """``function(*args)`` in the worker process; returns its result (both must pickle).
    If the worker was lost (killed, out of memory: perhaps by this very job), a new one is
    started for the next job and ``BrokenProcessPool`` is raised: the work is never run in
    the server process instead, where a hostile file would take the server down."""
    pool = worker_pool()
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
    except BrokenProcessPool:
        _replace(pool)
        raise
