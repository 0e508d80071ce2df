"""Live opinion maps: on a tick of their own, the statements questions whose votes
changed get a new map, computed in a worker process (lower priority, away from this
process's event loop and its GIL), then stored; the question is marked dirty, so the
next snapshots carry it. Other server processes see the stored map when they rebuild."""

from __future__ import annotations

import logging
from concurrent.futures.process import BrokenProcessPool

from channels.db import database_sync_to_async
from django.conf import settings

from sessions_app.opinion.serialize import compute
from sessions_app.services.opinion import map_inputs, map_store
from sessions_app.workers import run_in_worker

logger = logging.getLogger(__name__)

#: Seconds between looking for changed votes (``settings.OPINION_TICK``); 0: no live maps.
OPINION_TICK = settings.OPINION_TICK


async def refresh(question_ids) -> list[int]:
    """New maps for those of ``question_ids`` whose votes changed; returns their ids. The
    worker (``sessions_app.workers``) imports only the pure ``sessions_app.opinion``
    modules, never Django's."""
    done = []
    for question_id in sorted(question_ids):
        inputs = await database_sync_to_async(map_inputs)(question_id)
        if inputs is None:
            continue
        try:
            # Not in a thread if the worker was lost: a map holding this process's GIL
            # would slow the snapshots. The map is made on the question's next change.
            data, seconds = await run_in_worker(compute, inputs)
        except BrokenProcessPool:
            logger.warning("the opinion map worker died; the next map starts another")
            continue
        await database_sync_to_async(map_store)(inputs, data, seconds)
        done.append(question_id)
    return done
