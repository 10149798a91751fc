"""The per-city cache: hits, misses and expiry on a fake clock (no sleeps), one upstream call for
concurrent misses."""

from datetime import datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest
import respx
import time_machine
from fastapi import FastAPI
from httpx import AsyncClient

from .conftest import CACHE_SECONDS, ClientWith, answer, j1

pytestmark = pytest.mark.anyio


@pytest.fixture
def sunny(upstream: respx.Route) -> respx.Route:
    upstream.mock(side_effect=answer(json=j1("Sunny", "24")))
    return upstream


async def get_paris(
    client: AsyncClient, headers: dict[str, str], city: str = "Paris"
) -> dict[str, Any]:
    response = await client.get(f"/api/weather/{city}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_second_request_is_served_from_the_cache(
    client: AsyncClient, auth_headers: dict[str, str], sunny: respx.Route, frozen_now: datetime
) -> None:
    """Both answers carry the first fetch's time."""
    first = await get_paris(client, auth_headers)
    second = await get_paris(client, auth_headers)

    assert (first["cached"], second["cached"]) == (False, True)
    assert first["fetched_at"] == second["fetched_at"]
    assert datetime.fromisoformat(first["fetched_at"]) == frozen_now
    assert sunny.call_count == 1


async def test_the_entry_expires_after_weather_cache_seconds(
    client: AsyncClient,
    auth_headers: dict[str, str],
    sunny: respx.Route,
    clock: time_machine.Traveller,
    frozen_now: datetime,
) -> None:
    """Time moved with time-machine: each fetch carries its own timestamp."""
    t1 = frozen_now
    t2 = t1 + timedelta(seconds=CACHE_SECONDS)
    await get_paris(client, auth_headers)
    clock.shift(CACHE_SECONDS - 0.001)
    still_cached = await get_paris(client, auth_headers)
    clock.shift(0.001)
    refetched = await get_paris(client, auth_headers)

    assert still_cached["cached"] is True
    assert datetime.fromisoformat(still_cached["fetched_at"]) == t1
    assert refetched["cached"] is False
    assert datetime.fromisoformat(refetched["fetched_at"]) == t2
    assert sunny.call_count == 2


@pytest.mark.parametrize("again", ["PARIS", "paris", "Paris  ", "pAris "])
async def test_the_cache_key_ignores_case_and_spacing(
    client: AsyncClient, auth_headers: dict[str, str], sunny: respx.Route, again: str
) -> None:
    await get_paris(client, auth_headers, "Paris")

    hit = await get_paris(client, auth_headers, again)

    assert hit["cached"] is True
    assert hit["city"] == again.strip()  # the caller's spelling, not the first caller's
    assert sunny.call_count == 1


async def test_composed_and_decomposed_accents_share_an_entry(
    client: AsyncClient, auth_headers: dict[str, str], sunny: respx.Route
) -> None:
    await get_paris(client, auth_headers, "Bogot\u00e1")

    hit = await get_paris(client, auth_headers, "Bogota\u0301")

    assert hit["cached"] is True
    assert sunny.call_count == 1


async def test_each_city_has_its_own_entry(
    client: AsyncClient, auth_headers: dict[str, str], sunny: respx.Route
) -> None:
    await get_paris(client, auth_headers, "Paris")
    lyon = await get_paris(client, auth_headers, "Lyon")

    assert lyon["cached"] is False
    assert [c.request.url.path for c in sunny.calls] == ["/Paris", "/Lyon"]


@pytest.mark.parametrize("upstream_answer", ["404", "500", "garbage"], indirect=True)
async def test_failures_are_not_cached(
    client: AsyncClient, auth_headers: dict[str, str], upstream: respx.Route, upstream_answer: str
) -> None:
    first = await client.get("/api/weather/Paris", headers=auth_headers)
    upstream.mock(side_effect=answer(json=j1()))

    second = await client.get("/api/weather/Paris", headers=auth_headers)

    assert first.status_code != 200
    assert second.status_code == 200
    assert second.json()["cached"] is False
    assert upstream.call_count == 2


async def test_concurrent_misses_make_one_upstream_call(
    app: FastAPI, client: AsyncClient, auth_headers: dict[str, str], upstream: respx.Route
) -> None:
    """Single flight: the second caller waits for the first call instead of making its own."""
    called, release = anyio.Event(), anyio.Event()

    async def slow_provider(request: httpx.Request) -> httpx.Response:
        called.set()
        await release.wait()
        return httpx.Response(200, json=j1())

    upstream.mock(side_effect=slow_provider)
    results: dict[str, dict[str, Any]] = {}

    async def fetch(name: str, city: str) -> None:
        results[name] = await get_paris(client, auth_headers, city)

    async with anyio.create_task_group() as tg:
        tg.start_soon(fetch, "first", "Paris")
        await called.wait()
        tg.start_soon(fetch, "second", "PARIS")
        await anyio.wait_all_tasks_blocked()
        release.set()

    assert upstream.call_count == 1
    assert (results["first"]["cached"], results["second"]["cached"]) == (False, True)
    assert len(app.state.weather.in_flight) == 0  # no lock left behind per city ever asked


async def test_zero_cache_seconds_turns_caching_off(
    client_with: ClientWith, auth_headers: dict[str, str], sunny: respx.Route
) -> None:
    async with client_with(weather_cache_seconds=0) as client:
        answers = [await get_paris(client, auth_headers) for _ in range(2)]

    assert [a["cached"] for a in answers] == [False, False]
    assert sunny.call_count == 2
