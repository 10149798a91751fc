"""``/healthz`` (the process) and ``/readyz`` (every service's own readiness; the loop itself,
``inkwell_runtime.health.check_all``, is tested in the runtime suite)."""

import anyio
import pytest
from httpx import AsyncClient

from gateway.core.config import GatewaySettings
from gateway.routing import SERVICES

from .conftest import Services, running
from .fakes import Route, closed_port_url

pytestmark = pytest.mark.anyio

READY = {"status": "ready", "checks": {}}


@pytest.fixture
def all_ready(services: Services) -> dict[str, Route]:
    return {name: fake.on("GET", "/readyz", json=READY) for name, fake in services.items()}


async def test_ready_when_every_service_is(
    client: AsyncClient, all_ready: dict[str, Route]
) -> None:
    response = await client.get("/readyz", headers={"X-Request-ID": "probe-1"})

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "services": dict.fromkeys(SERVICES, "up"),
        "details": {},
    }
    assert {route.last.headers["x-request-id"] for route in all_ready.values()} == {"probe-1"}


async def test_a_service_that_is_not_ready_makes_the_gateway_not_ready(
    client: AsyncClient, services: Services, all_ready: dict[str, Route]
) -> None:
    not_ready = {"status": "not ready", "checks": {"database": "down"}}
    services["media"].on("GET", "/readyz", status=503, json=not_ready)

    response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "services": {**dict.fromkeys(SERVICES, "up"), "media": "down"},
        "details": {},
    }


async def test_a_degraded_service_makes_the_gateway_degraded_and_still_ready(
    client: AsyncClient, services: Services, all_ready: dict[str, Route]
) -> None:
    """Weather answers 200 ``degraded`` while its provider fails: the gateway passes that on
    (with the service's details) and stays in rotation."""
    details = {"weather_provider": "breaker open, 5 consecutive failure(s); last error: x"}
    degraded = {
        "status": "degraded",
        "checks": {"weather_provider": "degraded"},
        "details": details,
    }
    services["weather"].on("GET", "/readyz", status=200, json=degraded)

    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "services": {**dict.fromkeys(SERVICES, "up"), "weather": "degraded"},
        "details": {"weather": details},
    }


async def test_an_unreachable_service_makes_the_gateway_not_ready(
    settings: GatewaySettings, all_ready: dict[str, Route]
) -> None:
    async with running(settings.model_copy(update={"media_url": closed_port_url()})) as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["services"] == {**dict.fromkeys(SERVICES, "up"), "media": "down"}


async def test_a_hanging_service_is_down_after_the_readiness_timeout(
    settings: GatewaySettings, services: Services, all_ready: dict[str, Route]
) -> None:
    """READINESS_TIMEOUT_SECONDS bounds the whole probe, however slowly the service answers."""
    weather = services["weather"]
    weather.on("GET", "/readyz", weather.hang)

    # long enough for the others to answer on a loaded machine; the hang never does
    update = {"readiness_timeout_seconds": 0.5}
    async with running(settings.model_copy(update=update)) as client:
        with anyio.fail_after(10):
            response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["services"] == {**dict.fromkeys(SERVICES, "up"), "weather": "down"}
