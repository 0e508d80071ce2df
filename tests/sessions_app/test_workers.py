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


def numeric_threads() -> set[int]:
    """The thread counts of the numeric libraries loaded here (numpy's BLAS, OpenMP)."""
    import numpy  # noqa: F401 (loads BLAS)
    from threadpoolctl import threadpool_info

    return {pool["num_threads"] for pool in threadpool_info()}


def variable(name: str) -> str | None:
    return os.environ.get(name)


async def test_the_worker_does_numeric_work_on_one_thread(fresh_pool):
    """On a core that something else keeps busy, a second numeric thread of the lowest
    priority gets next to no time while the first waits for it (a map took seconds):
    the worker keeps its numeric libraries to one thread."""
    assert await workers.run_in_worker(numeric_threads) == {1}
    assert await workers.run_in_worker(variable, "OPENBLAS_NUM_THREADS") == "1"
