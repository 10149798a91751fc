"""Work that runs after a request has been answered, outside its request cycle.

Starlette's ``BackgroundTasks`` run after the response is sent but inside the request cycle: a
kept-alive connection's next request waits for them. Through the gateway's pooled connections
that made the request after a known address's ``/forgot-password`` (which writes a token and
sends a mail) measurably slower than after an unknown one: timing told who has an account.
:class:`DetachedJobs` runs each job as a task of its own instead; tests swap in
:class:`RequestJobs` (plain background tasks, finished when the test client returns).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from fastapi import BackgroundTasks

logger = logging.getLogger(__name__)

Job = Callable[..., Awaitable[None]]


class JobRunner(Protocol):
    def run(self, background: BackgroundTasks, job: Job, *args: Any) -> None: ...


class DetachedJobs:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def run(self, background: BackgroundTasks, job: Job, *args: Any) -> None:
        task = asyncio.get_running_loop().create_task(self._logged(job, *args))
        self._tasks.add(task)  # a reference, so the task is not collected mid-flight
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _logged(job: Job, *args: Any) -> None:
        try:
            await job(*args)
        except Exception:
            logger.exception("background job %s failed", getattr(job, "__name__", job))


class RequestJobs:
    def run(self, background: BackgroundTasks, job: Job, *args: Any) -> None:
        background.add_task(job, *args)
