"""Argon2 runs in worker threads behind a bounded limiter: a login burst waits in line there,
while every other request of the service keeps being answered."""

import threading
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from auth_service.passwords import PasswordHasher

from .conftest import PASSWORD

pytestmark = pytest.mark.anyio


class GatedHasher(PasswordHasher):
    """Real Argon2 whose verifications wait (in their worker thread) for a gate to open, and
    which counts how many run at once."""

    def __init__(self, concurrency: int) -> None:
        super().__init__(1, 1024, concurrency)
        self.gate = threading.Event()
        self.running = 0
        self.most_at_once = 0
        self.started = threading.Semaphore(0)
        self._lock = threading.Lock()
        inner = self._hash.verify

        def gated_verify(password: str, hashed: str) -> bool:
            with self._lock:
                self.running += 1
                self.most_at_once = max(self.most_at_once, self.running)
            self.started.release()
            self.gate.wait(timeout=10)
            try:
                return inner(password, hashed)
            finally:
                with self._lock:
                    self.running -= 1

        self._hash.verify = gated_verify  # type: ignore[method-assign,assignment]


async def test_hashing_in_progress_does_not_hold_up_other_requests(
    client: AsyncClient,
) -> None:
    """Five password checks at once (a login burst): two run in worker threads, three wait in
    the limiter, and the event loop still answers a request meanwhile."""
    hasher = GatedHasher(concurrency=2)
    hashed = await hasher.hash(PASSWORD)
    results: list[bool] = []

    async def check(password: str) -> None:
        results.append(await hasher.verify(password, hashed))

    async with anyio.create_task_group() as tasks:
        for password in (PASSWORD, "wrong", PASSWORD, "wrong", PASSWORD):
            tasks.start_soon(check, password)
        for _ in range(2):  # both worker slots are taken
            await anyio.to_thread.run_sync(hasher.started.acquire)
        try:
            keys = await client.get("/api/auth/jwks.json")
            waiting = hasher.limiter.statistics().tasks_waiting
        finally:
            hasher.gate.set()

    assert keys.status_code == 200  # answered while every hashing slot was busy
    assert waiting == 3
    assert hasher.most_at_once == 2
    assert sorted(results) == [False, False, True, True, True]


async def test_login_checks_the_password_through_the_apps_hasher(
    app: FastAPI, client: AsyncClient, user: dict[str, Any]
) -> None:
    hasher = GatedHasher(concurrency=1)
    hasher.gate.set()
    app.state.password_hash, original = hasher, app.state.password_hash
    try:
        known = await client.post(
            "/api/auth/login", json={"username": "alice", "password": PASSWORD}
        )
        unknown = await client.post(
            "/api/auth/login", json={"username": "nobody", "password": PASSWORD}
        )
    finally:
        app.state.password_hash = original

    assert (known.status_code, unknown.status_code) == (200, 401)
    assert hasher.most_at_once == 1
    assert hasher.started.acquire(blocking=False) and hasher.started.acquire(blocking=False)


async def test_the_limit_comes_from_settings() -> None:
    from auth_service.core.config import AuthSettings
    from auth_service.main import create_app

    app = create_app(AuthSettings(environment="test", password_hash_concurrency=3))

    assert app.state.password_hash.limiter.total_tokens == 3
