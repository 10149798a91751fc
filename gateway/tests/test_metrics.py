"""The gateway's ``/metrics``: its own figures on its own port, never a service's (the route
table sends no ``/metrics`` anywhere); upstream errors by service and kind, rate limiting."""

import pytest
from httpx import AsyncClient

from contracts.registry import current
from gateway.core.config import GatewaySettings
from gateway.routing import RouteTable, routes_of
from inkwell_testing.metrics import sample

from .conftest import Services, gateway_client, running
from .fakes import closed_port_url
from .test_rate_limit import login

pytestmark = pytest.mark.anyio


def test_no_public_route_sends_metrics_to_a_service() -> None:
    table = RouteTable(routes_of(current()))

    assert table.resolve("/metrics") is None
    assert all(table.resolve(f"/{name}/metrics") is None for name in current().names)


async def test_metrics_are_the_gateways_own_and_not_proxied(
    client: AsyncClient, services: Services
) -> None:
    """The ``services`` fixture fails the test if any service received a request."""
    services["weather"].on("GET", "/api/weather/Lisbon", json={"city": "Lisbon"})
    await client.get("/api/weather/Lisbon")

    response = await client.get("/metrics")

    assert response.status_code == 200
    counted = sample(
        response.text,
        "http_server_requests_total",
        method="GET",
        route="/api/weather/{rest:path}",
        status="200",
    )
    assert counted is not None and counted >= 1  # the suite shares one gateway
    assert sample(response.text, "gateway_rate_limited_total") is not None


async def test_an_unreachable_service_is_counted_by_service_and_kind(
    settings: GatewaySettings,
) -> None:
    async with running(settings.model_copy(update={"media_url": closed_port_url()})) as client:
        for _ in range(2):
            assert (await client.get("/api/users/me/profile-picture")).status_code == 503
        text = (await client.get("/metrics")).text

    assert sample(text, "gateway_upstream_errors_total", service="media", kind="unreachable") == 2
    route = "/api/users/{user_id}/profile-picture"
    assert sample(text, "http_server_requests_total", method="GET", route=route, status="503") == 2


async def test_rate_limited_logins_are_counted(
    settings: GatewaySettings, services: Services
) -> None:
    services["auth"].on("POST", "/api/auth/login", json={"access_token": "t"})
    async with running(settings.model_copy(update={"login_rate_limit": "1/minute"})) as client:
        async with gateway_client(client._transport.app, "198.51.100.9") as one:  # type: ignore[attr-defined]
            assert [await login(one) for _ in range(3)] == [200, 429, 429]
        text = (await client.get("/metrics")).text

    assert sample(text, "gateway_rate_limited_total") == 2
