"""What weather tells operators: ``/readyz`` degraded (still 200) while its provider fails,
with the breaker's state and the last error; ``/metrics`` with cache hits and the breaker."""

import httpx
import pytest
import respx
import time_machine
from httpx import AsyncClient

from inkwell_testing.metrics import sample

from .conftest import BREAKER_FAILURES, BREAKER_RESET_SECONDS, answer, j1, raise_

pytestmark = pytest.mark.anyio


async def test_ready_while_the_provider_answers(
    client: AsyncClient, auth_headers: dict[str, str], upstream: respx.Route
) -> None:
    upstream.mock(side_effect=answer(json=j1()))
    await client.get("/api/weather/Paris", headers=auth_headers)

    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"weather_provider": "up"},
        "details": {},
    }


async def test_degraded_with_the_cause_while_the_provider_is_unreachable(
    client: AsyncClient, auth_headers: dict[str, str], upstream: respx.Route
) -> None:
    upstream.mock(side_effect=raise_(httpx.ConnectError))
    for _ in range(BREAKER_FAILURES):
        await client.get("/api/weather/Paris", headers=auth_headers)

    response = await client.get("/readyz")

    assert response.status_code == 200  # still answering (cached reports): stays in rotation
    assert response.json() == {
        "status": "degraded",
        "checks": {"weather_provider": "degraded"},
        "details": {
            "weather_provider": f"breaker open, {BREAKER_FAILURES} consecutive failure(s); "
            "last error: Weather provider unreachable"
        },
    }


async def test_one_failure_is_degraded_and_a_success_is_ready_again(
    client: AsyncClient,
    auth_headers: dict[str, str],
    upstream: respx.Route,
    clock: time_machine.Traveller,
) -> None:
    upstream.mock(side_effect=answer(503))
    await client.get("/api/weather/Paris", headers=auth_headers)
    degraded = (await client.get("/readyz")).json()
    upstream.mock(side_effect=answer(json=j1()))
    await client.get("/api/weather/Paris", headers=auth_headers)
    ready = (await client.get("/readyz")).json()

    assert degraded["details"] == {
        "weather_provider": "breaker closed, 1 consecutive failure(s); "
        "last error: Weather provider failed (it answered 503)"
    }
    assert ready["status"] == "ready"


async def test_metrics_count_cache_hits_and_show_the_breaker(
    client: AsyncClient,
    auth_headers: dict[str, str],
    upstream: respx.Route,
    clock: time_machine.Traveller,
) -> None:
    upstream.mock(side_effect=answer(json=j1()))
    for city in ("Paris", "paris", "Lyon"):
        await client.get(f"/api/weather/{city}", headers=auth_headers)
    upstream.mock(side_effect=answer(500))
    for _ in range(BREAKER_FAILURES):
        await client.get("/api/weather/Nice", headers=auth_headers)

    text = (await client.get("/metrics")).text

    assert sample(text, "weather_cache_lookups_total", result="hit") == 1
    assert sample(text, "weather_cache_lookups_total", result="miss") == 2 + BREAKER_FAILURES
    assert sample(text, "weather_breaker_state", state="open") == 1
    assert sample(text, "weather_breaker_state", state="closed") == 0
    assert sample(text, "weather_breaker_failures") == BREAKER_FAILURES
    route = "/api/weather/{city}"
    assert (
        sample(text, "http_server_requests_total", method="GET", route=route, status="502")
        == BREAKER_FAILURES
    )

    clock.shift(BREAKER_RESET_SECONDS)
    text = (await client.get("/metrics")).text
    assert sample(text, "weather_breaker_state", state="half-open") == 1
