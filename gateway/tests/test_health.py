"""``/healthz`` (the process) and ``/readyz`` (every service's own readiness, concurrently)."""

import asyncio

import anyio
import httpx
import pytest
import respx
from asgi_lifespan import LifespanManager
from httpx import ASGITransport, AsyncClient, Response

from gateway.core.config import GatewaySettings
from gateway.main import create_app
from gateway.routing import SERVICES

pytestmark = pytest.mark.anyio


def readyz(service: str) -> str:
    return f"http://{service}.internal/readyz"


@pytest.fixture
def all_ready(services: respx.MockRouter) -> respx.MockRouter:
    for name in SERVICES:
        services.get(readyz(name)).mock(Response(200, json={"status": "ready", "checks": {}}))
    return services


async def test_healthz_is_the_same_liveness_answer_as_every_service(client: AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_every_service_is(
    client: AsyncClient, all_ready: respx.MockRouter
) -> None:
    response = await client.get("/readyz", headers={"X-Request-ID": "probe-1"})

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "services": dict.fromkeys(SERVICES, "up")}
    assert {call.request.headers["x-request-id"] for call in all_ready.calls} == {"probe-1"}


@pytest.mark.parametrize(
    "fault",
    [
        Response(503, json={"status": "not ready", "checks": {"database": "down"}}),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
    ],
    ids=["not-ready", "unreachable", "timeout"],
)
async def test_one_service_down_makes_the_gateway_not_ready(
    client: AsyncClient, all_ready: respx.MockRouter, fault: Response | Exception
) -> None:
    all_ready.get(readyz("media")).mock(
        side_effect=fault if isinstance(fault, Exception) else None,
        return_value=fault if isinstance(fault, Response) else None,
    )

    response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "services": {**dict.fromkeys(SERVICES, "up"), "media": "down"},
    }


async def test_a_hanging_service_is_down_after_the_readiness_timeout(
    settings: GatewaySettings, all_ready: respx.MockRouter
) -> None:
    """READINESS_TIMEOUT_SECONDS bounds the whole probe, however slowly the service answers."""

    async def hang(request: httpx.Request) -> Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    app = create_app(settings.model_copy(update={"readiness_timeout_seconds": 0.05}))
    all_ready.get(readyz("weather")).mock(side_effect=hang)
    async with (
        LifespanManager(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://gw") as fresh,
    ):
        with anyio.fail_after(10):
            response = await fresh.get("/readyz")

    assert response.status_code == 503
    assert response.json()["services"]["weather"] == "down"


async def test_services_are_probed_concurrently(
    client: AsyncClient, services: respx.MockRouter
) -> None:
    """Each service answers only once all five have been asked: a one-by-one probe would hang."""
    asked = 0
    everyone_asked = anyio.Event()

    async def answer_when_all_asked(request: httpx.Request) -> Response:
        nonlocal asked
        asked += 1
        if asked == len(SERVICES):
            everyone_asked.set()
        await everyone_asked.wait()
        return Response(200, json={})

    for name in SERVICES:
        services.get(readyz(name)).mock(side_effect=answer_when_all_asked)

    with anyio.fail_after(5):
        response = await client.get("/readyz")

    assert response.status_code == 200
