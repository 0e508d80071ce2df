"""Worker processes for CPU work that must not slow a live session (the opinion map, a
teller's photo): one process, started on first use, at the lowest priority, so that on a
busy core the server (answers, acknowledgements) always goes first. "spawn", because the
server runs threads, which forking would copy half-way. Pure: importable by the worker
without Django."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor


def lower_priority() -> None:
    """A worker process's start."""
    os.nice(19)


def low_priority_pool() -> ProcessPoolExecutor:
    """A pool of one worker process at the lowest priority (jobs run one at a time)."""
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=lower_priority,
    )
