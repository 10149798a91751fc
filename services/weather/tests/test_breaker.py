"""The circuit breaker, through the API (what a caller and the provider see) and on its own
(each state transition), with time-machine instead of sleeps."""

import anyio
import httpx
import pytest
import respx
import time_machine
from fastapi import FastAPI
from httpx import AsyncClient

from weather_service.breaker import BreakerState, CircuitBreaker, CircuitOpen

from .conftest import (
    BREAKER_FAILURES,
    BREAKER_RESET_SECONDS,
    ResponseFactory,
    answer,
    j1,
    raise_,
)

pytestmark = pytest.mark.anyio


async def fail_until_open(
    client: AsyncClient, headers: dict[str, str], upstream: respx.Route
) -> None:
    calls_before = upstream.call_count
    upstream.mock(side_effect=answer(500))
    for _ in range(BREAKER_FAILURES):
        response = await client.get("/api/weather/Paris", headers=headers)
        assert response.status_code == 502
    assert upstream.call_count == calls_before + BREAKER_FAILURES


# --- through the API -----------------------------------------------------------------------


async def test_an_open_circuit_answers_502_without_calling_the_provider(
    client: AsyncClient, auth_headers: dict[str, str], upstream: respx.Route
) -> None:
    await fail_until_open(client, auth_headers, upstream)

    response = await client.get("/api/weather/Lyon", headers=auth_headers)

    assert response.status_code == 502
    retry_after = str(int(BREAKER_RESET_SECONDS))
    assert response.json() == {
        "detail": f"Weather provider failing repeatedly: calls paused; retry in {retry_after} s"
    }
    assert response.headers["Retry-After"] == retry_after
    assert upstream.call_count == BREAKER_FAILURES  # not one more


@pytest.mark.parametrize(
    "failure",
    [
        raise_(httpx.ReadTimeout),
        raise_(httpx.ConnectError),
        answer(503),
        answer(429),
        answer(200, text="garbage"),
    ],
    ids=["timeout", "connect error", "503", "429", "garbage"],
)
async def test_every_kind_of_failure_counts(
    client: AsyncClient,
    auth_headers: dict[str, str],
    upstream: respx.Route,
    failure: ResponseFactory,
) -> None:
    upstream.mock(side_effect=failure)
    for _ in range(BREAKER_FAILURES):
        await client.get("/api/weather/Paris", headers=auth_headers)

    response = await client.get("/api/weather/Paris", headers=auth_headers)

    assert response.status_code == 502
    assert upstream.call_count == BREAKER_FAILURES


@pytest.mark.parametrize(
    "no_verdict",
    [answer(404), answer(400), answer(302, headers={"Location": "https://example.invalid/"})],
    ids=["404", "400", "redirect"],
)
async def test_unknown_cities_and_refused_requests_do_not_open_it(
    client: AsyncClient,
    auth_headers: dict[str, str],
    upstream: respx.Route,
    no_verdict: ResponseFactory,
) -> None:
    """A 404 is the provider working; another 4xx says the request was wrong, not the provider."""
    upstream.mock(side_effect=no_verdict)
    for _ in range(BREAKER_FAILURES + 2):
        await client.get("/api/weather/Atlantis", headers=auth_headers)

    assert upstream.call_count == BREAKER_FAILURES + 2


async def test_a_success_resets_the_failure_count(
    client: AsyncClient, auth_headers: dict[str, str], upstream: respx.Route
) -> None:
    upstream.mock(side_effect=answer(500))
    for _ in range(BREAKER_FAILURES - 1):
        await client.get("/api/weather/Paris", headers=auth_headers)
    upstream.mock(side_effect=answer(json=j1()))
    await client.get("/api/weather/Lyon", headers=auth_headers)
    upstream.mock(side_effect=answer(500))

    for _ in range(BREAKER_FAILURES - 1):
        await client.get("/api/weather/Paris", headers=auth_headers)

    assert upstream.call_count == 2 * (BREAKER_FAILURES - 1) + 1
    response = await client.get("/api/weather/Paris", headers=auth_headers)
    assert upstream.call_count == 2 * (BREAKER_FAILURES - 1) + 2  # still closed: it called
    assert response.status_code == 502


async def test_half_open_lets_one_trial_call_through_and_its_success_closes_it(
    client: AsyncClient,
    auth_headers: dict[str, str],
    upstream: respx.Route,
    clock: time_machine.Traveller,
) -> None:
    await fail_until_open(client, auth_headers, upstream)
    clock.shift(BREAKER_RESET_SECONDS - 1)
    assert (await client.get("/api/weather/Paris", headers=auth_headers)).status_code == 502
    assert upstream.call_count == BREAKER_FAILURES  # still open
    clock.shift(1)
    upstream.mock(side_effect=answer(json=j1("Clear", "18")))

    trial = await client.get("/api/weather/Paris", headers=auth_headers)
    after = await client.get("/api/weather/Lyon", headers=auth_headers)

    assert (trial.status_code, trial.json()["description"]) == (200, "Clear")
    assert after.status_code == 200
    assert upstream.call_count == BREAKER_FAILURES + 2


async def test_a_failed_trial_call_opens_it_for_another_full_period(
    client: AsyncClient,
    auth_headers: dict[str, str],
    upstream: respx.Route,
    clock: time_machine.Traveller,
) -> None:
    await fail_until_open(client, auth_headers, upstream)
    clock.shift(BREAKER_RESET_SECONDS)

    trial = await client.get("/api/weather/Paris", headers=auth_headers)
    clock.shift(BREAKER_RESET_SECONDS - 1)
    blocked = await client.get("/api/weather/Paris", headers=auth_headers)

    assert trial.status_code == blocked.status_code == 502
    assert upstream.call_count == BREAKER_FAILURES + 1  # the trial call, then nothing
    assert blocked.headers["Retry-After"] == "1"


async def test_while_half_open_only_one_caller_is_the_trial(
    client: AsyncClient,
    auth_headers: dict[str, str],
    upstream: respx.Route,
    clock: time_machine.Traveller,
) -> None:
    """A recovering provider gets one request, not the whole backlog at once."""
    await fail_until_open(client, auth_headers, upstream)
    clock.shift(BREAKER_RESET_SECONDS)
    called, release = anyio.Event(), anyio.Event()

    async def slow_recovery(request: httpx.Request) -> httpx.Response:
        called.set()
        await release.wait()
        return httpx.Response(200, json=j1())

    upstream.mock(side_effect=slow_recovery)
    statuses: dict[str, int] = {}

    async def get(name: str, city: str) -> None:
        statuses[name] = (
            await client.get(f"/api/weather/{city}", headers=auth_headers)
        ).status_code

    async with anyio.create_task_group() as tg:
        tg.start_soon(get, "trial", "Paris")
        await called.wait()
        await get("meanwhile", "Lyon")
        release.set()

    assert statuses == {"trial": 200, "meanwhile": 502}
    assert upstream.call_count == BREAKER_FAILURES + 1


async def test_cached_reports_are_still_served_while_open(
    client: AsyncClient, auth_headers: dict[str, str], upstream: respx.Route
) -> None:
    upstream.mock(side_effect=answer(json=j1()))
    await client.get("/api/weather/Lisbon", headers=auth_headers)
    await fail_until_open(client, auth_headers, upstream)

    response = await client.get("/api/weather/Lisbon", headers=auth_headers)

    assert response.status_code == 200
    assert response.json()["cached"] is True


async def test_the_app_exposes_its_breaker_for_operators(
    app: FastAPI, client: AsyncClient, auth_headers: dict[str, str], upstream: respx.Route
) -> None:
    await fail_until_open(client, auth_headers, upstream)

    assert app.state.weather_breaker.state is BreakerState.open


# --- on its own ----------------------------------------------------------------------------


class Boom(Exception):
    pass


def trip(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        with pytest.raises(Boom), breaker.guard(Boom):
            raise Boom


@pytest.fixture
def breaker(clock: time_machine.Traveller) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=2, reset_seconds=10)


def test_it_opens_after_the_threshold_of_consecutive_failures(breaker: CircuitBreaker) -> None:
    trip(breaker, 1)
    assert (breaker.state, breaker.failures) == (BreakerState.closed, 1)

    trip(breaker, 1)

    assert breaker.state is BreakerState.open
    with pytest.raises(CircuitOpen) as opened:
        breaker.before_call()
    assert opened.value.retry_after == 10
    assert opened.value.retry_after_header == "10"


def test_open_becomes_half_open_after_reset_seconds(
    breaker: CircuitBreaker, clock: time_machine.Traveller
) -> None:
    trip(breaker, 2)
    clock.shift(9.5)
    with pytest.raises(CircuitOpen) as still_open:
        breaker.before_call()
    assert still_open.value.retry_after_header == "1"  # 0.5 s, rounded up

    clock.shift(0.5)

    assert breaker.state is BreakerState.half_open
    with breaker.guard(Boom):
        pass
    assert (breaker.state, breaker.failures) == (BreakerState.closed, 0)


def test_an_exception_that_is_no_failure_frees_the_trial_slot(
    breaker: CircuitBreaker, clock: time_machine.Traveller
) -> None:
    """A cancelled trial call must not leave the circuit half-open with nobody allowed in."""
    trip(breaker, 2)
    clock.shift(10)

    with pytest.raises(KeyError), breaker.guard(Boom):
        raise KeyError("not a provider failure")

    assert breaker.state is BreakerState.half_open
    breaker.before_call()  # the next caller is the new trial call
    with pytest.raises(CircuitOpen) as busy:
        breaker.before_call()
    assert busy.value.retry_after_header == "1"


def test_an_exception_that_is_no_failure_leaves_the_count_alone(breaker: CircuitBreaker) -> None:
    trip(breaker, 1)

    with pytest.raises(KeyError), breaker.guard(Boom):
        raise KeyError

    assert (breaker.state, breaker.failures) == (BreakerState.closed, 1)


def test_a_threshold_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CircuitBreaker(failure_threshold=0)
