"""With ``RATE_LIMIT_STORAGE_URL``, failed logins are counted in Redis (a real ``redis-server``):
every auth replica sees the same count, so spreading guesses over replicas gains nothing."""

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from pydantic import ValidationError

from auth_service.core.config import AuthSettings
from auth_service.main import create_app
from auth_service.throttle import LoginThrottle
from inkwell_testing.redis import free_port, redis_fixture

from .conftest import PASSWORD

pytestmark = pytest.mark.anyio
redis_url = redis_fixture()
LIMIT = "10/15minutes"


async def attempts(
    app: FastAPI, client: AsyncClient, replicas: list[LoginThrottle], username: str, times: int
) -> list[int]:
    """``times`` wrong passwords for ``username``, each answered by the next replica's
    throttle (the route's own code; only the throttle differs between replicas)."""
    statuses = []
    for attempt in range(times):
        app.state.login_throttle = replicas[attempt % len(replicas)]
        response = await client.post(
            "/api/auth/login", json={"username": username, "password": f"wrong {attempt}"}
        )
        statuses.append(response.status_code)
    return statuses


async def login(app: FastAPI, client: AsyncClient, throttle: LoginThrottle, username: str) -> Any:
    app.state.login_throttle = throttle
    return await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})


async def test_two_replicas_share_one_count_for_known_and_unknown_accounts(
    app: FastAPI, client: AsyncClient, user: dict[str, Any], redis_url: str
) -> None:
    replicas = [LoginThrottle(LIMIT, redis_url), LoginThrottle(LIMIT, redis_url)]
    ghost = f"ghost_{uuid.uuid4().hex[:8]}"
    try:
        assert await attempts(app, client, replicas, "alice", 10) == [401] * 10
        assert await attempts(app, client, replicas, ghost, 11) == [401] * 10 + [429]
        answers = [await login(app, client, replica, "alice") for replica in replicas]
    finally:
        for replica in replicas:
            await replica.aclose()

    assert [answer.status_code for answer in answers] == [429, 429]  # the right password too
    assert all(0 < int(answer.headers["Retry-After"]) <= 15 * 60 for answer in answers)


async def test_in_memory_each_replica_counts_alone(
    app: FastAPI, client: AsyncClient, user: dict[str, Any]
) -> None:
    """What the shared store fixes: two replicas in memory allow twice the limit."""
    replicas = [LoginThrottle(LIMIT), LoginThrottle(LIMIT)]

    assert await attempts(app, client, replicas, "alice", 18) == [401] * 18
    assert (await login(app, client, replicas[0], "alice")).status_code == 200


async def test_an_unreachable_store_counts_locally(
    app: FastAPI, client: AsyncClient, user: dict[str, Any]
) -> None:
    """Logins still work, and each replica still throttles (a warning is logged per call)."""
    throttle = LoginThrottle(LIMIT, f"redis://127.0.0.1:{free_port()}")

    assert await attempts(app, client, [throttle], "alice", 10) == [401] * 10
    assert (await login(app, client, throttle, "alice")).status_code == 429


def test_the_store_comes_from_settings_and_must_be_redis(redis_url: str) -> None:
    app = create_app(AuthSettings(environment="test", rate_limit_storage_url=redis_url))

    assert app.state.login_throttle.windows.shared
    assert not create_app(AuthSettings(environment="test")).state.login_throttle.windows.shared
    with pytest.raises(ValidationError, match="must be a redis:// or rediss:// URL"):
        AuthSettings(environment="test", rate_limit_storage_url="memcached://127.0.0.1:11211")
