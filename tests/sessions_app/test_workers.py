"""The one worker process of a server process: lowest priority, shared, and replaced when
it is lost."""

import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from sessions_app import workers


class Broken:
    """A pool whose worker was killed."""

    def submit(self, *args, **kwargs):
        raise BrokenProcessPool("the worker was killed")

    def shutdown(self, **kwargs):
        pass


@pytest.fixture
def fresh_pool():
    workers.worker_pool_reset()
    yield
    workers.worker_pool_reset()


async def test_work_runs_in_one_worker_process_at_the_lowest_priority(fresh_pool):
    first = await workers.run_in_worker(os.getpid)
    assert first != os.getpid()
    assert await workers.run_in_worker(os.nice, 0) == 19
    assert await workers.run_in_worker(os.getpid) == first
    assert workers.worker_pool() is workers.worker_pool()


async def test_a_lost_worker_is_replaced_and_the_job_never_runs_in_the_server(
    fresh_pool, monkeypatch
):
    monkeypatch.setattr(workers, "_pool", Broken())
    with pytest.raises(BrokenProcessPool):
        await workers.run_in_worker(os.getpid)
    assert workers._pool is None  # the next job starts a new worker
    assert await workers.run_in_worker(os.getpid) != os.getpid()


async def test_a_pool_replaced_meanwhile_is_kept(fresh_pool, monkeypatch):
    """Two jobs lost with the same worker: the second must not drop the first's new pool."""
    current = Broken()
    monkeypatch.setattr(workers, "_pool", current)
    workers._replace(Broken())
    assert workers._pool is current
