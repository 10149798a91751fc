"""Detached jobs run after the request cycle, and a failing one is logged, not raised."""

import asyncio

import pytest
from fastapi import BackgroundTasks

from auth_service.jobs import DetachedJobs

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_detached_job_runs_on_its_own_and_failures_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    jobs, done = DetachedJobs(), asyncio.Event()

    async def works(flag: asyncio.Event) -> None:
        flag.set()

    async def fails() -> None:
        raise RuntimeError("smtp down")

    background = BackgroundTasks()
    jobs.run(background, works, done)
    jobs.run(background, fails)
    await asyncio.wait_for(done.wait(), 5)
    for _ in range(10):
        await asyncio.sleep(0)

    assert background.tasks == []  # nothing left for the request cycle
    assert "background job fails failed" in caplog.text
