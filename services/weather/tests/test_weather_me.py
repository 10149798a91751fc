"""``GET /api/weather/me``: the call across services, asserted on what the preferences service
received (respx records every request), and each way that call can go wrong."""

from typing import Any

import anyio
import httpx
import pytest
import respx
from httpx import AsyncClient

from inkwell_testing.tokens import TestSigner
from weather_service.preferences import PreferencesClient

from .conftest import (
    NO_PREFERENCES,
    PREFERENCES_URL,
    REJECTED_TOKEN,
    ClientWith,
    answer,
    j1,
    raise_,
    saved,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def sunny(upstream: respx.Route) -> respx.Route:
    upstream.mock(side_effect=answer(json=j1("Sunny", "19")))
    return upstream


async def test_weather_for_the_preferred_city(
    client: AsyncClient,
    auth_headers: dict[str, str],
    preferences: respx.Route,
    sunny: respx.Route,
) -> None:
    preferences.mock(side_effect=answer(json=saved("Lisbon")))

    response = await client.get(
        "/api/weather/me", headers={**auth_headers, "X-Request-ID": "trace-me-1"}
    )

    assert response.status_code == 200
    assert response.json() | {"fetched_at": None} == {
        "city": "Lisbon",
        "description": "Sunny",
        "temperature_c": 19.0,
        "units": "metric",
        "temperature": 19.0,
        "temperature_unit": "°C",
        "wind_speed": 16.0,
        "wind_speed_unit": "km/h",
        "fetched_at": None,
        "cached": False,
    }
    asked = preferences.calls.last.request
    assert asked.method == "GET"
    assert asked.url.path == "/api/users/me/preferences"
    assert asked.headers["Authorization"] == auth_headers["Authorization"]  # the caller's own
    assert asked.headers["X-Request-ID"] == "trace-me-1"
    assert [c.request.url.path for c in sunny.calls] == ["/Lisbon"]


async def test_a_generated_request_id_is_forwarded_too(
    client: AsyncClient, auth_headers: dict[str, str], preferences: respx.Route, sunny: respx.Route
) -> None:
    """Without an incoming X-Request-ID the service makes one; preferences sees that same id."""
    preferences.mock(side_effect=answer(json=saved()))

    response = await client.get("/api/weather/me", headers=auth_headers)

    assert response.status_code == 200
    forwarded = preferences.calls.last.request.headers["X-Request-ID"]
    assert forwarded == response.headers["X-Request-ID"]
    assert len(forwarded) == 32


async def test_each_caller_is_asked_about_with_their_own_token(
    client: AsyncClient, signer: TestSigner, preferences: respx.Route, sunny: respx.Route
) -> None:
    preferences.mock(side_effect=answer(json=saved()))
    alice, bob = signer.bearer(username="alice"), signer.bearer(username="bob")

    await client.get("/api/weather/me", headers=alice)
    await client.get("/api/weather/me", headers=bob)

    sent = [c.request.headers["Authorization"] for c in preferences.calls]
    assert sent == [alice["Authorization"], bob["Authorization"]]


async def test_no_preferences_is_404(
    client: AsyncClient,
    auth_headers: dict[str, str],
    preferences: respx.Route,
    upstream: respx.Route,
) -> None:
    preferences.mock(side_effect=answer(404, json=NO_PREFERENCES))

    response = await client.get("/api/weather/me", headers=auth_headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "Preferences not found"}
    assert upstream.call_count == 0


async def test_a_token_preferences_rejects_is_401_for_the_caller(
    client: AsyncClient, auth_headers: dict[str, str], preferences: respx.Route
) -> None:
    """Say the token was revoked between the two checks: the caller learns it, not a 5xx."""
    preferences.mock(side_effect=answer(401, json=REJECTED_TOKEN))

    response = await client.get("/api/weather/me", headers=auth_headers)

    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "outage",
    [raise_(httpx.ConnectError), raise_(httpx.ReadTimeout), answer(500), answer(503)],
    ids=["connection refused", "timeout", "500", "503"],
)
async def test_preferences_down_is_503(
    client: AsyncClient,
    auth_headers: dict[str, str],
    preferences: respx.Route,
    upstream: respx.Route,
    outage: Any,
) -> None:
    preferences.mock(side_effect=outage)

    response = await client.get("/api/weather/me", headers=auth_headers)

    assert response.status_code == 503
    assert response.json() == {"detail": "Preferences service unavailable"}
    assert "Retry-After" in response.headers
    assert upstream.call_count == 0


@pytest.mark.parametrize(
    "odd",
    [answer(200, text="<html>"), answer(200, json={"units": "metric"}), answer(403), answer(422)],
    ids=["not json", "no city", "403", "422"],
)
async def test_an_answer_this_client_cannot_use_is_502(
    client: AsyncClient, auth_headers: dict[str, str], preferences: respx.Route, odd: Any
) -> None:
    preferences.mock(side_effect=odd)

    response = await client.get("/api/weather/me", headers=auth_headers)

    assert response.status_code == 502
    assert response.json() == {"detail": "Preferences service error"}


@pytest.mark.parametrize("city", ["Paris 75", "", "12345", "../admin"])
async def test_a_preferred_city_no_provider_could_know_is_404_without_asking_it(
    client: AsyncClient,
    auth_headers: dict[str, str],
    preferences: respx.Route,
    upstream: respx.Route,
    city: str,
) -> None:
    preferences.mock(side_effect=answer(json=saved(city)))

    response = await client.get("/api/weather/me", headers=auth_headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "City not found"}
    assert upstream.call_count == 0


@pytest.mark.parametrize(
    ("upstream_answer", "status", "detail"),
    [
        ("404", 404, "City not found"),
        ("500", 502, "Weather provider failed (it answered 500)"),
        ("timeout", 504, "Weather provider timed out after 5 s"),
    ],
    indirect=["upstream_answer"],
)
async def test_provider_errors_read_the_same_as_for_a_named_city(
    client: AsyncClient,
    auth_headers: dict[str, str],
    preferences: respx.Route,
    upstream_answer: str,
    status: int,
    detail: str,
) -> None:
    preferences.mock(side_effect=answer(json=saved()))

    response = await client.get("/api/weather/me", headers=auth_headers)

    assert (response.status_code, response.json()) == (status, {"detail": detail})


async def test_the_preferred_citys_report_shares_the_city_cache(
    client: AsyncClient, auth_headers: dict[str, str], preferences: respx.Route, sunny: respx.Route
) -> None:
    """Preferences are asked every time (they may change); the weather comes from the cache."""
    preferences.mock(side_effect=answer(json=saved("Lisbon")))
    await client.get("/api/weather/lisbon", headers=auth_headers)

    response = await client.get("/api/weather/me", headers=auth_headers)

    assert response.json()["cached"] is True
    assert (preferences.call_count, sunny.call_count) == (1, 1)


async def test_outside_a_request_no_request_id_is_invented(preferences: respx.Route) -> None:
    """The client used on its own (a script, a job): it sends the token and no X-Request-ID."""
    preferences.mock(side_effect=answer(json=saved("Porto")))

    async with httpx.AsyncClient(base_url=PREFERENCES_URL) as http:
        place = await PreferencesClient(http).preferred_place("a-token")

    assert (place.city, place.units) == ("Porto", "metric")
    sent = preferences.calls.last.request.headers
    assert sent["Authorization"] == "Bearer a-token"
    assert "X-Request-ID" not in sent


async def test_preferences_that_never_answer_are_cut_off_at_the_deadline(
    client_with: ClientWith, auth_headers: dict[str, str], preferences: respx.Route
) -> None:
    async def never_answers(request: httpx.Request) -> httpx.Response:
        await anyio.Event().wait()
        raise AssertionError("unreachable")

    preferences.mock(side_effect=never_answers)

    async with client_with(preferences_timeout_seconds=0.05) as client:
        response = await client.get("/api/weather/me", headers=auth_headers)

    assert response.status_code == 503
    assert response.json() == {"detail": "Preferences service unavailable"}


async def test_imperial_preferences_give_fahrenheit_and_mph(
    client: AsyncClient, auth_headers: dict[str, str], preferences: respx.Route, sunny: respx.Route
) -> None:
    preferences.mock(side_effect=answer(json=saved("Lisbon", units="imperial")))

    body = (await client.get("/api/weather/me", headers=auth_headers)).json()

    # 19 °C is 66.2 °F; 16 km/h is 9.9 mph
    assert {k: body[k] for k in ("units", "temperature", "temperature_unit")} == {
        "units": "imperial",
        "temperature": 66.2,
        "temperature_unit": "°F",
    }
    assert (body["wind_speed"], body["wind_speed_unit"], body["temperature_c"]) == (
        9.9,
        "mph",
        19.0,
    )


async def test_units_this_service_does_not_know_read_as_metric(
    client: AsyncClient, auth_headers: dict[str, str], preferences: respx.Route, sunny: respx.Route
) -> None:
    preferences.mock(side_effect=answer(json=saved("Lisbon", units="kelvin")))

    body = (await client.get("/api/weather/me", headers=auth_headers)).json()

    assert (body["units"], body["temperature"], body["temperature_unit"]) == ("metric", 19.0, "°C")
