"""Failed logins are counted per account, whoever sends them: past the limit, 429."""

from typing import Any

import pytest
from httpx import AsyncClient

from .conftest import PASSWORD

pytestmark = pytest.mark.anyio


async def fail(client: AsyncClient, username: str, times: int, forwarded_for: str = "") -> None:
    for attempt in range(times):
        response = await client.post(
            "/api/auth/login",
            json={"username": username, "password": f"wrong guess {attempt}"},
            headers={"X-Forwarded-For": forwarded_for or f"203.0.113.{attempt}"},
        )
        assert response.status_code == 401


async def test_ten_failures_lock_the_account_even_against_the_right_password(
    client: AsyncClient, user: dict[str, Any]
) -> None:
    await fail(client, "alice", 10)

    right = await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    by_email = await client.post(
        "/api/auth/token", data={"username": "ALICE", "password": PASSWORD}
    )

    assert right.status_code == by_email.status_code == 429
    assert right.json()["detail"].startswith("Too many failed logins for this account")
    assert 0 < int(right.headers["Retry-After"]) <= 15 * 60


async def test_unknown_accounts_are_throttled_alike(client: AsyncClient) -> None:
    await fail(client, "nobody", 10)

    response = await client.post(
        "/api/auth/login", json={"username": "nobody", "password": PASSWORD}
    )

    assert response.status_code == 429
    assert "Retry-After" in response.headers


async def test_other_accounts_and_successes_are_not_counted(
    client: AsyncClient, user: dict[str, Any]
) -> None:
    await fail(client, "nobody", 10)
    for _ in range(12):
        ok = await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
        assert ok.status_code == 200
    await fail(client, "alice", 9)

    assert (
        await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    ).status_code == 200


def test_the_limit_can_be_switched_off() -> None:
    from auth_service.core.config import AuthSettings
    from auth_service.main import create_app

    assert (
        create_app(AuthSettings(environment="test", login_failure_limit="off")).state.login_throttle
        is None
    )


def test_an_unparseable_limit_is_refused_at_start() -> None:
    from pydantic import ValidationError

    from auth_service.core.config import AuthSettings

    with pytest.raises(ValidationError, match="login_failure_limit"):
        AuthSettings(environment="test", login_failure_limit="often")
