"""Small composable fixtures for the weather suite: clock (time-machine) → settings → app →
client → headers, plus respx routes for the two things this service calls (the provider and
preferences).

No test reaches the network: ``respx_mock`` mocks every httpx transport and fails any request
no route matches.
"""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
import time_machine
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from inkwell_testing.apps import served
from inkwell_testing.tokens import TestSigner
from weather_service.core.config import WeatherSettings
from weather_service.main import create_app
from weather_service.preferences import PREFERENCES_PATH

WEATHER_API = "http://weather.test"
PREFERENCES_URL = "http://preferences.test"
BREAKER_FAILURES = 3
BREAKER_RESET_SECONDS = 30.0
CACHE_SECONDS = 300.0


def j1(description: str = "Sunny", temp_c: Any = "24", wind_kmh: Any = "16") -> dict[str, Any]:
    """A trimmed wttr.in ``format=j1`` answer (the real one carries much more, all ignored)."""
    return {
        "current_condition": [
            {
                "temp_C": temp_c,
                "temp_F": "75",
                "humidity": "40",
                "windspeedKmph": wind_kmh,
                "weatherDesc": [{"value": description}],
            }
        ],
        "nearest_area": [{"areaName": [{"value": "Paris"}]}],
        "weather": [],
    }


def saved(city: str = "Lisbon", units: str = "metric") -> dict[str, Any]:
    """The preferences service's 200 body, as its contract says (checked against its committed
    OpenAPI in ``test_preferences_contract.py``)."""
    return {"city": city, "units": units, "updated_at": "2026-11-20T08:30:00Z"}


NO_PREFERENCES = {"detail": "Preferences not found"}
REJECTED_TOKEN = {"detail": "Could not validate credentials"}


ResponseFactory = Callable[[httpx.Request], httpx.Response]


def answer(status: int = 200, **kwargs: Any) -> ResponseFactory:
    """A respx side effect building a fresh response per call."""
    return lambda request: httpx.Response(status, **kwargs)


def raise_(exc_type: type[httpx.TransportError]) -> ResponseFactory:
    def side_effect(request: httpx.Request) -> httpx.Response:
        raise exc_type("simulated", request=request)

    return side_effect


UPSTREAM_ANSWERS: dict[str, Callable[[httpx.Request], httpx.Response]] = {
    "sunny": answer(json=j1("Sunny", "24")),
    "cloudy": answer(json=j1("Partly cloudy", "-3")),
    "404": answer(404, text="Unknown location; please try ~48.8567,2.3508"),
    "500": answer(500, text="Internal Server Error"),
    "timeout": raise_(httpx.ReadTimeout),
    "garbage": answer(200, text="<html>Sorry, we are over capacity</html>"),
}


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Time stands still (at the test's start, to the second: tokens signed now stay valid) and
    moves only when the test says so: ``clock.shift(seconds)``. The cache's TTL, the breaker's
    reset and ``fetched_at`` all read the runtime's clock, which time-machine moves."""
    with time_machine.travel(datetime.now(UTC).replace(microsecond=0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def settings() -> WeatherSettings:
    return WeatherSettings(
        environment="test",
        weather_api_url=WEATHER_API,
        preferences_url=PREFERENCES_URL,
        weather_cache_seconds=CACHE_SECONDS,
        weather_breaker_failures=BREAKER_FAILURES,
        weather_breaker_reset_seconds=BREAKER_RESET_SECONDS,
    )


@pytest.fixture
def app(settings: WeatherSettings, signer: TestSigner, clock: time_machine.Traveller) -> FastAPI:
    return create_app(settings, token_verifier=signer.verifier())


@pytest.fixture
def respx_mock() -> Iterator[respx.MockRouter]:
    """Every outgoing httpx request goes through this router; an unmatched one fails the test."""
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router


@pytest.fixture
def upstream(respx_mock: respx.MockRouter) -> respx.Route:
    """The weather provider: every ``GET {WEATHER_API}/...``; a test decides what it answers."""
    return respx_mock.get(url__startswith=f"{WEATHER_API}/", name="upstream")


@pytest.fixture
def upstream_answer(request: pytest.FixtureRequest, upstream: respx.Route) -> str:
    """A parametrized fixture (used with ``indirect=True``): the provider answers sunny, cloudy,
    404, 500, a timeout or garbage, as the test's parameter says."""
    upstream.mock(side_effect=UPSTREAM_ANSWERS[request.param])
    name: str = request.param
    return name


@pytest.fixture
def preferences(respx_mock: respx.MockRouter) -> respx.Route:
    """Preferences' ``GET /api/users/me/preferences``; a test decides what it answers."""
    return respx_mock.get(f"{PREFERENCES_URL}{PREFERENCES_PATH}", name="preferences")


@pytest.fixture
def frozen_now(clock: time_machine.Traveller) -> datetime:
    """The moment the test's time stands still at (what ``fetched_at`` reads)."""
    return datetime.now(UTC)


@pytest.fixture
async def client(app: FastAPI, respx_mock: respx.MockRouter) -> AsyncIterator[AsyncClient]:
    """The app with its real lifespan (its pooled clients, intercepted by ``respx_mock``)."""
    async with served(app, base_url="http://weather.local") as client:
        yield client


ClientWith = Callable[..., AbstractAsyncContextManager[AsyncClient]]


@pytest.fixture
def client_with(
    settings: WeatherSettings,
    signer: TestSigner,
    clock: time_machine.Traveller,
    respx_mock: respx.MockRouter,
) -> ClientWith:
    """``async with client_with(weather_cache_seconds=0) as client``: the app with some settings
    changed (same clock, same respx router)."""

    @asynccontextmanager
    async def make(**changes: Any) -> AsyncIterator[AsyncClient]:
        app = create_app(settings.model_copy(update=changes), token_verifier=signer.verifier())
        transport = ASGITransport(app=app)
        async with (
            LifespanManager(app),
            AsyncClient(transport=transport, base_url="http://weather.local") as client,
        ):
            yield client

    return make


@pytest.fixture(scope="session")
def auth_headers(signer: TestSigner) -> dict[str, str]:
    """A valid user token (signed once: RSA signing is the slow part)."""
    return signer.bearer()
