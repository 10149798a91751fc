"""``GET /api/weather/{city}``: what a caller sees for every way the provider can answer."""

from datetime import datetime
from typing import Any

import anyio
import httpx
import pytest
import respx
from httpx import AsyncClient

from inkwell_testing.tokens import TestSigner

from .conftest import WEATHER_API, ClientWith, answer, j1, raise_

pytestmark = pytest.mark.anyio

UNREADABLE = {"detail": "Weather provider answered an unreadable payload"}
TIMED_OUT = {"detail": "Weather provider timed out after 5 s"}


@pytest.mark.parametrize(
    ("upstream_answer", "status", "expected"),
    [
        (
            "sunny",
            200,
            {"description": "Sunny", "temperature_c": 24.0, "temperature": 24.0, "cached": False},
        ),
        ("cloudy", 200, {"description": "Partly cloudy", "temperature_c": -3.0, "cached": False}),
        ("404", 404, {"detail": "City not found"}),
        ("500", 502, {"detail": "Weather provider failed (it answered 500)"}),
        ("timeout", 504, TIMED_OUT),
        ("garbage", 502, UNREADABLE),
    ],
    indirect=["upstream_answer"],
)
async def test_each_provider_answer_becomes_a_clear_response(
    client: AsyncClient,
    auth_headers: dict[str, str],
    upstream: respx.Route,
    upstream_answer: str,
    status: int,
    expected: dict[str, Any],
) -> None:
    """The parametrized, indirect ``upstream_answer`` fixture: one test, six provider behaviours."""
    response = await client.get("/api/weather/Paris", headers=auth_headers)

    assert response.status_code == status
    body = response.json()
    assert {k: body[k] for k in expected} == expected
    if status == 200:
        assert body["city"] == "Paris"
        assert datetime.fromisoformat(body["fetched_at"]).tzinfo is not None
    assert upstream.call_count == 1
    sent = upstream.calls.last.request
    assert (sent.url.path, sent.url.params["format"]) == ("/Paris", "j1")


@pytest.mark.parametrize(
    "content",
    [
        b"not json at all",
        b"{}",
        b'{"current_condition": []}',
        b'{"current_condition": [{"temp_C": "warm", "weatherDesc": [{"value": "Sunny"}]}]}',
        b'{"current_condition": [{"temp_C": "nan", "weatherDesc": [{"value": "Sunny"}]}]}',
        b'{"current_condition": [{"temp_C": "24", "weatherDesc": []}]}',
        b'{"current_condition": [{"temp_C": "24"}]}',
        b'{"current_condition": [{"temp_C": "24", "weatherDesc": [{"value": ""}]}]}',
        b"[1, 2, 3]",
    ],
    ids=[
        "not json",
        "empty object",
        "no current condition",
        "temperature not a number",
        "temperature nan",
        "no description",
        "description missing",
        "empty description",
        "a list",
    ],
)
async def test_an_unreadable_200_is_a_502_never_a_500(
    client: AsyncClient, auth_headers: dict[str, str], upstream: respx.Route, content: bytes
) -> None:
    upstream.mock(side_effect=answer(200, content=content))

    response = await client.get("/api/weather/Paris", headers=auth_headers)

    assert response.status_code == 502
    assert response.json() == UNREADABLE


@pytest.mark.parametrize(
    ("side_effect", "detail"),
    [
        (raise_(httpx.ConnectError), "Weather provider unreachable"),
        (raise_(httpx.RemoteProtocolError), "Weather provider unreachable"),
        (answer(503), "Weather provider failed (it answered 503)"),
        (answer(429, text="Too many requests"), "Weather provider failed (it answered 429)"),
        (answer(400), "Weather provider refused the request (it answered 400)"),
        (
            answer(302, headers={"Location": "https://example.invalid/"}),
            "Weather provider refused the request (it answered 302)",
        ),
    ],
    ids=["connect error", "protocol error", "503", "429", "400", "redirect"],
)
async def test_other_provider_failures_are_502_naming_the_cause(
    client: AsyncClient,
    auth_headers: dict[str, str],
    upstream: respx.Route,
    side_effect: Any,
    detail: str,
) -> None:
    """The cause, never the internals (no exception text, no provider URL)."""
    upstream.mock(side_effect=side_effect)

    response = await client.get("/api/weather/Paris", headers=auth_headers)

    assert response.status_code == 502
    assert response.json() == {"detail": detail}


@pytest.mark.parametrize(
    ("city", "raw_path"),
    [
        ("São Paulo", b"/S%C3%A3o%20Paulo"),
        ("St. John's", b"/St.%20John%27s"),
        ("Winston-Salem", b"/Winston-Salem"),
        ("東京", b"/%E6%9D%B1%E4%BA%AC"),
        ("Sa\u0303o Tome\u0301", b"/S%C3%A3o%20Tom%C3%A9"),  # decomposed accents → composed (NFC)
        ("New  York ", b"/New%20York"),  # inner runs of spaces collapsed, trailing dropped
    ],
)
async def test_valid_cities_are_url_encoded_for_the_provider(
    client: AsyncClient,
    auth_headers: dict[str, str],
    upstream: respx.Route,
    city: str,
    raw_path: bytes,
) -> None:
    upstream.mock(side_effect=answer(json=j1()))

    response = await client.get(f"/api/weather/{city}", headers=auth_headers)

    assert response.status_code == 200
    assert upstream.calls.last.request.url.raw_path == raw_path + b"?format=j1"


@pytest.mark.parametrize(
    "city",
    [
        "Paris1",
        "%20Paris",  # must start with a letter
        "-Paris",
        "...",
        "_",
        "Paris;DROP TABLE",
        "<script>",
        "Ⅻ",  # a Roman numeral is a number, not a letter
        "a" * 101,
    ],
)
async def test_invalid_city_names_are_422_and_never_reach_the_provider(
    client: AsyncClient, auth_headers: dict[str, str], upstream: respx.Route, city: str
) -> None:
    response = await client.get(f"/api/weather/{city}", headers=auth_headers)

    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["path", "city"]
    assert error["msg"].startswith("Invalid city name: a city is 1 to 100 characters")
    assert upstream.call_count == 0


async def test_a_city_with_a_slash_is_no_route(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    response = await client.get("/api/weather/Paris%2F..%2Fadmin", headers=auth_headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("path", ["/api/weather/Paris", "/api/weather/me"])
async def test_a_token_is_required(
    client: AsyncClient, respx_mock: respx.MockRouter, path: str
) -> None:
    response = await client.get(path)

    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert respx_mock.calls.call_count == 0


async def test_an_expired_token_is_rejected(
    client: AsyncClient, signer: TestSigner, upstream: respx.Route
) -> None:
    response = await client.get(
        "/api/weather/Paris", headers={"Authorization": f"Bearer {signer.expired()}"}
    )

    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials"}
    assert upstream.call_count == 0


async def test_a_provider_url_with_a_path_prefix_keeps_it(
    respx_mock: respx.MockRouter, client_with: ClientWith, auth_headers: dict[str, str]
) -> None:
    """WEATHER_API_URL may point at a mirror under a path (``https://mirror.example/wttr``)."""
    route = respx_mock.get(f"{WEATHER_API}/v2/Paris").mock(side_effect=answer(json=j1()))

    async with client_with(weather_api_url=f"{WEATHER_API}/v2") as client:
        response = await client.get("/api/weather/Paris", headers=auth_headers)

    assert response.status_code == 200
    assert route.call_count == 1


async def test_a_provider_that_never_finishes_is_cut_off_at_the_deadline(
    client_with: ClientWith, auth_headers: dict[str, str], upstream: respx.Route
) -> None:
    """WEATHER_TIMEOUT_SECONDS bounds the whole call: a provider trickling its body a byte at a
    time never trips httpx's per-phase timeouts, so the service keeps its own deadline."""

    async def never_finishes(request: httpx.Request) -> httpx.Response:
        await anyio.Event().wait()
        raise AssertionError("unreachable")

    upstream.mock(side_effect=never_finishes)

    async with client_with(weather_timeout_seconds=0.05) as client:
        response = await client.get("/api/weather/Paris", headers=auth_headers)

    assert response.status_code == 504
    assert response.json() == {"detail": "Weather provider timed out after 0.05 s"}


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        ("metric", (24.0, "°C", 16.0, "km/h")),
        ("imperial", (75.2, "°F", 9.9, "mph")),
    ],
)
async def test_units_choose_celsius_and_kmh_or_fahrenheit_and_mph(
    client: AsyncClient,
    auth_headers: dict[str, str],
    upstream: respx.Route,
    units: str,
    expected: tuple[float, str, float, str],
) -> None:
    upstream.mock(side_effect=answer(json=j1("Sunny", "24", wind_kmh="16")))

    body = (await client.get(f"/api/weather/Paris?units={units}", headers=auth_headers)).json()

    shown = (body["temperature"], body["temperature_unit"], body["wind_speed"])
    assert (*shown, body["wind_speed_unit"]) == expected
    assert (body["units"], body["temperature_c"]) == (units, 24.0)


async def test_one_cached_observation_serves_both_units(
    client: AsyncClient, auth_headers: dict[str, str], upstream: respx.Route
) -> None:
    upstream.mock(side_effect=answer(json=j1("Sunny", "-40", wind_kmh=None)))

    metric = (await client.get("/api/weather/Oslo", headers=auth_headers)).json()
    imperial = (await client.get("/api/weather/Oslo?units=imperial", headers=auth_headers)).json()

    assert (metric["temperature"], imperial["temperature"], imperial["cached"]) == (-40, -40, True)
    assert imperial["wind_speed"] is None and upstream.call_count == 1


async def test_unknown_units_are_a_422_naming_the_choices(
    client: AsyncClient, auth_headers: dict[str, str], upstream: respx.Route
) -> None:
    response = await client.get("/api/weather/Paris?units=kelvin", headers=auth_headers)

    assert response.status_code == 422
    assert "metric" in response.text and "imperial" in response.text
    assert upstream.call_count == 0
