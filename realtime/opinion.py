"""Live opinion maps: on a tick of their own, the statements questions whose votes
changed get a new map, computed in a worker process (lower priority, away from this
process's event loop and its GIL), then stored; the question is marked dirty, so the
next snapshots carry it. Other server processes see the stored map when they rebuild."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from channels.db import database_sync_to_async
from django.conf import settings

from sessions_app.opinion.serialize import compute
from sessions_app.services.opinion import map_inputs, map_store
from sessions_app.workers import low_priority_pool

logger = logging.getLogger(__name__)

#: Seconds between looking for changed votes (``settings.OPINION_TICK``); 0: no live maps.
OPINION_TICK = settings.OPINION_TICK

_pool: ProcessPoolExecutor | None = None


def pool() -> ProcessPoolExecutor:
    """One worker process per server process (``sessions_app.workers``); it imports only
    the pure ``sessions_app.opinion`` modules, never Django's."""
    global _pool
    if _pool is None:
        _pool = low_priority_pool()
    return _pool


def _reset_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
    _pool = None


async def refresh(question_ids, loop: asyncio.AbstractEventLoop) -> list[int]:
    """New maps for those of ``question_ids`` whose votes changed; returns their ids."""
    done = []
    for question_id in sorted(question_ids):
        inputs = await database_sync_to_async(map_inputs)(question_id)
        if inputs is None:
            continue
        try:
            data, seconds = await loop.run_in_executor(pool(), compute, inputs)
        except BrokenProcessPool:
            logger.warning("the opinion map worker died; starting another")
            _reset_pool()
            continue
        await database_sync_to_async(map_store)(inputs, data, seconds)
        done.append(question_id)
    return done
