"""Argon2 runs in worker threads of its own, behind a bounded limiter and at a lower CPU
priority: a login burst waits in line there, while every other request of the service keeps
being answered."""

import os
import threading
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

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


async def known_and_unknown_login(
    app: FastAPI, client: AsyncClient, hasher: PasswordHasher
) -> tuple[int, int]:
    """Alice's login and an unknown user's, through ``hasher``: their statuses."""
    app.state.password_hash, original = hasher, app.state.password_hash
    try:
        statuses = []
        for username in ("alice", "nobody"):
            response = await client.post(
                "/api/auth/login", json={"username": username, "password": PASSWORD}
            )
            statuses.append(response.status_code)
    finally:
        app.state.password_hash = original
    return statuses[0], statuses[1]


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

    assert await known_and_unknown_login(app, client, hasher) == (200, 401)
    assert hasher.most_at_once == 1
    assert hasher.started.acquire(blocking=False) and hasher.started.acquire(blocking=False)


async def test_the_limit_comes_from_settings() -> None:
    from auth_service.core.config import AuthSettings
    from auth_service.main import create_app

    app = create_app(AuthSettings(environment="test", password_hash_concurrency=3))

    assert app.state.password_hash.limiter.total_tokens == 3


def priority_of_this_thread() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="per-thread priorities: Linux")
async def test_hashing_runs_in_threads_of_lower_priority_than_the_event_loop() -> None:
    """Argon2's threads yield the CPU to the event loop (libargon2's own lane threads inherit
    the priority of the thread that starts them); no other thread is slowed down with them."""
    hasher = PasswordHasher(1, 1024, 2, nice=7)
    seen: list[int] = []
    inner_hash, inner_verify = hasher._hash.hash, hasher._hash.verify

    def spied_hash(password: str) -> str:
        seen.append(priority_of_this_thread())
        return inner_hash(password)

    def spied_verify(password: str, hashed: str) -> bool:
        seen.append(priority_of_this_thread())
        return inner_verify(password, hashed)

    hasher._hash.hash = spied_hash  # type: ignore[method-assign,assignment]
    hasher._hash.verify = spied_verify  # type: ignore[method-assign,assignment]
    loop_priority = priority_of_this_thread()

    hashed = await hasher.hash(PASSWORD)
    assert await hasher.verify(PASSWORD, hashed)
    assert not await hasher.verify("wrong", hashed)

    assert seen == [min(loop_priority + 7, 19)] * 3
    assert priority_of_this_thread() == loop_priority
    assert await anyio.to_thread.run_sync(priority_of_this_thread) == loop_priority


@pytest.mark.parametrize(("made_with", "checked_with"), [(4, 1), (1, 4), (2, 8)])
async def test_a_hash_verifies_whatever_parallelism_the_hasher_now_has(
    made_with: int, checked_with: int
) -> None:
    """Argon2's parameters are written in each hash: changing ``ARGON2_PARALLELISM`` (or the
    cost) leaves every stored password working."""
    hashed = await PasswordHasher(1, 1024, 1, parallelism=made_with).hash(PASSWORD)
    checker = PasswordHasher(2, 2048, 1, parallelism=checked_with)

    assert f",p={made_with}$" in hashed
    assert await checker.verify(PASSWORD, hashed)
    assert not await checker.verify("wrong", hashed)
    assert f",p={checked_with}$" in await checker.hash(PASSWORD)


async def test_the_priority_and_parallelism_come_from_settings() -> None:
    from auth_service.core.config import AuthSettings
    from auth_service.main import create_app

    settings = AuthSettings(environment="test", password_hash_nice=3, argon2_parallelism=1)
    hasher = create_app(settings).state.password_hash

    assert hasher.nice == 3
    assert ",p=1$" in await hasher.hash(PASSWORD)


async def test_a_login_holds_no_database_transaction_while_argon2_runs(
    app: FastAPI, client: AsyncClient, user: dict[str, Any], db_session: AsyncSession
) -> None:
    """A burst of logins waiting for hashing slots must not hold a pooled connection each."""
    in_transaction: list[bool] = []

    class Watching(PasswordHasher):
        async def verify(self, password: str, hashed: str) -> bool:
            in_transaction.append(db_session.in_transaction())
            return await super().verify(password, hashed)

    assert await known_and_unknown_login(app, client, Watching(1, 1024, 1)) == (200, 401)
    assert in_transaction == [False, False]


async def test_a_login_past_login_concurrency_waits_before_any_work(
    app: FastAPI, client: AsyncClient, user: dict[str, Any]
) -> None:
    """Every slot taken (``LOGIN_CONCURRENCY``): a login does nothing (no lookup, no hash)
    until one is free, then succeeds; the rest of the service answers meanwhile."""
    hasher = GatedHasher(concurrency=1)
    hasher.gate.set()
    app.state.password_hash, original = hasher, app.state.password_hash
    slots, app.state.login_slots = app.state.login_slots, anyio.CapacityLimiter(1)
    answers: list[int] = []

    async def log_in() -> None:
        response = await client.post(
            "/api/auth/login", json={"username": "alice", "password": PASSWORD}
        )
        answers.append(response.status_code)

    try:
        async with anyio.create_task_group() as tasks:
            await app.state.login_slots.acquire()  # the one slot is busy
            tasks.start_soon(log_in)
            while app.state.login_slots.statistics().tasks_waiting == 0:  # noqa: ASYNC110 (the limiter has no event for it)
                await anyio.sleep(0.01)
            keys = await client.get("/api/auth/jwks.json")
            hashed_while_waiting = hasher.started.acquire(blocking=False)
            app.state.login_slots.release()
    finally:
        app.state.password_hash, app.state.login_slots = original, slots

    assert keys.status_code == 200
    assert not hashed_while_waiting
    assert answers == [200]
    assert hasher.started.acquire(blocking=False)  # the login hashed once it had its slot


async def test_login_concurrency_comes_from_settings() -> None:
    from auth_service.core.config import AuthSettings
    from auth_service.main import create_app

    app = create_app(AuthSettings(environment="test", login_concurrency=7))

    assert app.state.login_slots.total_tokens == 7
