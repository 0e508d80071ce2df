"""Group commit for answers: one per server process (per event loop).

Phones' answers are queued; one batch at a time is written by
``participation.responses_submit`` in a single transaction, on the server's writer thread
(``sessions_app.writer``: its own thread and connection, so no page view delays it), and
each phone's ack is sent only after that transaction committed. While a batch is being
written, new answers gather for the next one, so batches grow with the load by
themselves. A batch is written once its oldest answer has waited ``GATHER`` (25 ms, a
quarter of the acknowledgement budget) for others arriving together, or at once when
plenty are waiting; an answer that already waited for the previous batch's write is not
held back again. A quiet room writes each answer almost at once, a burst of thousands
writes them tens to hundreds at a time, at a fraction of the cost per answer.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from sessions_app import writer
from sessions_app.exceptions import InputRejected
from sessions_app.services.participation import Submission, SubmitResult, responses_submit

logger = logging.getLogger(__name__)

#: The most answers written in one transaction.
MAX_BATCH = 250
#: How long the writer lets answers gather before it writes a batch (seconds), unless
#: ``GATHERED`` are waiting already.
GATHER = 0.025
GATHERED = 50


class AnswerBatcher:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.queue: list[tuple[Submission, asyncio.Future]] = []
        #: When the oldest answer in the queue arrived (the loop's clock).
        self.oldest = 0.0
        self.task: asyncio.Task | None = None
        #: Sizes of the batches written, for the load tool and tests.
        self.sizes: list[int] = []

    async def submit(self, submission: Submission) -> SubmitResult:
        """Queue an answer and wait until its batch has committed. Raises the answer's
        ``InputRejected``, or whatever failed the batch (then nothing of it was stored)."""
        future = self.loop.create_future()
        if not self.queue:
            self.oldest = self.loop.time()
        self.queue.append((submission, future))
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._run())
        result = await future
        if isinstance(result, InputRejected):
            raise result
        return result

    async def _run(self) -> None:
        while self.queue:
            wait = self.oldest + GATHER - self.loop.time()
            if len(self.queue) < GATHERED and wait > 0:
                await asyncio.sleep(wait)
            batch, self.queue = self.queue[:MAX_BATCH], self.queue[MAX_BATCH:]
            # What stays waited since this batch was taken at the latest.
            self.oldest = self.loop.time()
            self.sizes.append(len(batch))
            del self.sizes[:-1000]
            await self._write(batch)

    async def _write(self, batch: list[tuple[Submission, asyncio.Future]]) -> None:
        """Write ``batch`` in one transaction. If it fails (nothing of it was stored),
        each answer is written again on its own, so that the one that failed the batch
        fails alone and every other phone gets its ack."""
        try:
            results = await writer.run(
                responses_submit, [submission for submission, _future in batch]
            )
        except Exception as error:
            if len(batch) == 1:
                logger.error("an answer failed to be written", exc_info=error)
                if not batch[0][1].done():
                    batch[0][1].set_exception(error)
                return
            logger.warning("a batch of %d answers failed; writing them one by one", len(batch))
            for item in batch:
                await self._write([item])
            return
        for (_submission, future), result in zip(batch, results, strict=True):
            if not future.done():  # the phone may have gone meanwhile
                future.set_result(result)


_batchers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def get_batcher() -> AnswerBatcher:
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = AnswerBatcher(loop)
    return batcher
