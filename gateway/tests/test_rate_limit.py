"""The login rate limit: per client, shared by both login routes, on a clock the test moves."""

from collections.abc import AsyncIterator, Iterator

import pytest
import time_machine
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import AsyncClient

from gateway.core.config import GatewaySettings
from gateway.main import create_app

from .conftest import Services, gateway_client
from .fakes import Route

pytestmark = pytest.mark.anyio

START = 1_800_000_000.0
TOKEN = "/api/auth/token"
LOGIN = "/api/auth/login"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Wall-clock time, frozen; the test moves it with ``clock.shift(seconds)``."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
async def limited_app(settings: GatewaySettings) -> AsyncIterator[FastAPI]:
    app = create_app(settings.model_copy(update={"login_rate_limit": "3/minute"}))
    async with LifespanManager(app):
        yield app


@pytest.fixture
def auth(services: Services) -> dict[str, Route]:
    auth = services["auth"]
    return {
        path: auth.on("POST", path, status=status, json={"access_token": "t"})
        for path, status in ((TOKEN, 200), (LOGIN, 200), ("/api/auth/register", 201))
    }


async def login(client: AsyncClient, route: str = "/api/auth/login") -> int:
    if route == "/api/auth/token":
        response = await client.post(route, data={"username": "a", "password": "p"})
    else:
        response = await client.post(route, json={"username": "a", "password": "p"})
    return response.status_code


async def test_a_client_over_the_limit_gets_429_until_the_window_moves_on(
    limited_app: FastAPI, auth: dict[str, Route], clock: time_machine.Traveller
) -> None:
    async with gateway_client(limited_app, "198.51.100.1") as client:
        assert [await login(client) for _ in range(3)] == [200, 200, 200]

        refused = await client.post("/api/auth/login", json={"username": "a", "password": "p"})
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "61"
        assert refused.json() == {"detail": "Too many login attempts; try again in 61 seconds"}
        assert len(auth[LOGIN].calls) == 3  # the refused attempt never reached auth

        clock.shift(45)
        again = await client.post("/api/auth/login", json={"username": "a", "password": "p"})
        assert again.headers["retry-after"] == "16"

        clock.shift(15)
        assert await login(client) == 429  # the first attempt is exactly a minute old
        clock.shift(1)
        assert await login(client) == 200


async def test_token_and_login_share_one_budget(
    limited_app: FastAPI, auth: dict[str, Route], clock: time_machine.Traveller
) -> None:
    async with gateway_client(limited_app, "198.51.100.2") as client:
        assert await login(client, "/api/auth/token") == 200
        assert await login(client, "/api/auth/login") == 200
        assert await login(client, "/api/auth/token") == 200
        assert await login(client, "/api/auth/token") == 429
        assert await login(client, "/api/auth/login") == 429


async def test_each_client_has_its_own_budget_whatever_it_claims_to_be(
    limited_app: FastAPI, auth: dict[str, Route], clock: time_machine.Traveller
) -> None:
    """A spoofed X-Forwarded-For neither escapes the limit nor spends someone else's."""
    async with gateway_client(limited_app, "198.51.100.3") as attacker:
        for spoofed in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
            attacker.headers["X-Forwarded-For"] = spoofed
            assert await login(attacker) == 200
        attacker.headers["X-Forwarded-For"] = "198.51.100.4"
        assert await login(attacker) == 429

    async with gateway_client(limited_app, "198.51.100.4") as bystander:
        assert await login(bystander) == 200


async def test_other_routes_are_not_limited(
    limited_app: FastAPI, auth: dict[str, Route], clock: time_machine.Traveller
) -> None:
    async with gateway_client(limited_app, "198.51.100.5") as client:
        statuses = [
            (await client.post("/api/auth/register", json={})).status_code for _ in range(10)
        ]
    assert statuses == [201] * 10


async def test_off_disables_the_limit(client: AsyncClient, auth: dict[str, Route]) -> None:
    """The suite's default settings say ``LOGIN_RATE_LIMIT=off`` (suites that log in a lot)."""
    assert [await login(client) for _ in range(20)] == [200] * 20
