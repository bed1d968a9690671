"""Gathering concurrent requests to one model into batches.

Each model has one queue and one task that empties it: it takes the first request,
waits up to the wait window for more (or until `max_batch` texts are there), then
runs the texts of requests with the same options as one call of the model in a
thread, and hands each request its own records. One call at a time per model: a
model is never run by two threads at once, and on a CPU a second call would only
share the same cores.

The wait is never longer than the model's last call took: waiting longer than a
call cannot pay (a batch could have run meanwhile), and a model that answers in a
fraction of a millisecond would otherwise spend most of each request waiting.
Requests that come while a call runs queue up and make the next batch anyway. And
there is no wait while the last batch held one request: a lone client has no one to
wait for (bench/serve.py: with the wait, one client's tag requests took 2.5 times
as long as without batching).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from seqcli.errors import SeqcliError
from seqcli.serve.problems import Busy, Problem

log = logging.getLogger("seqcli.serve")


@dataclass
class Job:
    texts: list[str]
    options: dict
    future: asyncio.Future
    key: str = field(init=False)

    def __post_init__(self):
        self.key = json.dumps(self.options, sort_keys=True)


class Batcher:
    """Requests to `run(texts, **options) -> records` (one record per text),
    gathered into calls of at most `max_batch` texts (a larger request runs alone).
    """

    def __init__(
        self,
        run: Callable[..., list[dict]],
        *,
        max_batch: int,
        wait: float,
        max_queue: int,
    ):
        self.run, self.max_batch, self.wait = run, max_batch, wait
        self.max_queue = max_queue
        self.queue: deque[Job] = deque()
        self.arrived = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.calls = 0  # model calls made (GET /v1/models shows them)
        self.texts = 0  # texts those calls read
        self.last_call = wait  # seconds the last call of the model took
        self.busy = False  # whether the last batch held more than one request

    def submit(self, texts: list[str], options: dict) -> asyncio.Future:
        """A future of the records of `texts`, set once a batch holding them has
        run. A caller that gives up (timeout, disconnect) cancels it: a batch that
        has not run yet leaves it out. (A future, not a coroutine: awaiting it
        under asyncio.wait_for makes no task per request.)"""
        if len(self.queue) >= self.max_queue:
            raise Busy(f"too many requests waiting ({self.max_queue}): try again")
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._serve())
        job = Job(texts, options, asyncio.get_running_loop().create_future())
        self.queue.append(job)
        self.arrived.set()
        return job.future

    async def _serve(self) -> None:
        while True:
            while not self.queue:
                self.arrived.clear()
                await self.arrived.wait()
            jobs = await self._gather()
            self.busy = len(jobs) > 1
            groups: dict[str, list[Job]] = {}
            for job in jobs:
                groups.setdefault(job.key, []).append(job)
            for group in groups.values():
                await self._run(group)

    async def _gather(self) -> list[Job]:
        """The next batch: the first job, and those that come within the wait
        window while the batch has room."""
        loop = asyncio.get_running_loop()
        jobs = [self.queue.popleft()]
        rows = len(jobs[0].texts)
        deadline = loop.time() + (min(self.wait, self.last_call) if self.busy else 0)
        while rows < self.max_batch:
            while self.queue and rows + len(self.queue[0].texts) <= self.max_batch:
                job = self.queue.popleft()
                jobs.append(job)
                rows += len(job.texts)
            left = deadline - loop.time()
            if self.queue or rows >= self.max_batch or left <= 0:
                break  # full, or the next one does not fit, or time is up
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), left)
            except asyncio.TimeoutError:
                pass
        return [job for job in jobs if not job.future.done()]

    async def _run(self, jobs: list[Job]) -> None:
        texts = [text for job in jobs for text in job.texts]
        began = time.perf_counter()
        try:
            self.calls += 1
            self.texts += len(texts)
            found = await asyncio.to_thread(self.run, texts, **jobs[0].options)
        except SeqcliError as e:
            if len(jobs) > 1:  # whose request was it? each alone says
                for job in jobs:
                    await self._run([job])
                return
            _settle(jobs[0], error=Problem(str(e), 422))
            return
        except Exception as e:  # a bug: the request fails, the server goes on
            log.exception("a batch failed")
            for job in jobs:
                _settle(job, error=e)
            return
        self.last_call = time.perf_counter() - began
        at = 0
        for job in jobs:
            _settle(job, records=found[at : at + len(job.texts)])
            at += len(job.texts)


def _settle(job: Job, *, records: Any = None, error: Exception | None = None):
    if job.future.done():  # its caller gave up meanwhile
        return
    if error is not None:
        job.future.set_exception(error)
    else:
        job.future.set_result(records)
