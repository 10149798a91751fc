"""Preferences and weather across services: weather → preferences with the caller's own token,
and the wttr.in-compatible stub behind the weather service (fixed answers, faults, a slow city)."""

from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from inkwell_e2e.flows import User, unique_city

pytestmark = pytest.mark.anyio

PREFS = "/api/users/me/preferences"


async def test_saved_preferences_drive_weather_for_me(
    gateway: httpx.AsyncClient, alice: User, mongo: AsyncDatabase[dict[str, Any]]
) -> None:
    """PUT preferences (a document in Mongo) → /api/weather/me reports the preferred city."""
    saved = await gateway.put(
        PREFS, json={"city": "Oslo", "units": "metric"}, headers=alice.headers
    )
    assert saved.status_code == 200, saved.text
    assert (saved.json()["city"], saved.json()["units"]) == ("Oslo", "metric")

    documents = await mongo["preferences"].find({"user_id": alice.id}).to_list()
    assert len(documents) == 1
    assert documents[0]["city"] == "Oslo"

    report = await gateway.get("/api/weather/me", headers=alice.headers)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["city"] == "Oslo"
    assert (body["description"], body["temperature_c"]) == ("Light snow", -3.0)


async def test_weather_for_me_follows_a_change_of_city(
    gateway: httpx.AsyncClient, alice: User
) -> None:
    await gateway.put(PREFS, json={"city": "Paris"}, headers=alice.headers)
    assert (await gateway.get("/api/weather/me", headers=alice.headers)).json()["city"] == "Paris"
    await gateway.put(PREFS, json={"city": "London"}, headers=alice.headers)
    london = await gateway.get("/api/weather/me", headers=alice.headers)
    assert (london.json()["city"], london.json()["description"]) == ("London", "Partly cloudy")


async def test_each_user_gets_their_own_city(
    gateway: httpx.AsyncClient, alice: User, bob: User
) -> None:
    """weather asks preferences *as the caller*: Bob's token never yields Alice's city."""
    await gateway.put(PREFS, json={"city": "Oslo"}, headers=alice.headers)
    await gateway.put(PREFS, json={"city": "Paris"}, headers=bob.headers)
    assert (await gateway.get("/api/weather/me", headers=alice.headers)).json()["city"] == "Oslo"
    assert (await gateway.get("/api/weather/me", headers=bob.headers)).json()["city"] == "Paris"


async def test_no_preferences_is_404_then_delete_forgets(
    gateway: httpx.AsyncClient, alice: User, mongo: AsyncDatabase[dict[str, Any]]
) -> None:
    none_yet = await gateway.get("/api/weather/me", headers=alice.headers)
    assert none_yet.status_code == 404
    assert none_yet.json() == {"detail": "Preferences not found"}

    await gateway.put(PREFS, json={"city": "Oslo"}, headers=alice.headers)
    deleted = await gateway.delete(PREFS, headers=alice.headers)
    assert deleted.status_code == 204
    assert await mongo["preferences"].count_documents({"user_id": alice.id}) == 0
    again = await gateway.get("/api/weather/me", headers=alice.headers)
    assert again.status_code == 404


async def test_a_city_is_fetched_once_then_cached(
    gateway: httpx.AsyncClient, alice: User, weather_stub: httpx.AsyncClient
) -> None:
    """Two asks, one upstream call: the second answer is the cached one, whichever weather
    replica answers it (compose: one cache in Redis, ``WEATHER_CACHE_URL``)."""
    city = unique_city("Cachetown")
    first = await gateway.get(f"/api/weather/{city}", headers=alice.headers)
    second = await gateway.get(f"/api/weather/{city}", headers=alice.headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json()["cached"], second.json()["cached"]) == (False, True)
    assert second.json()["fetched_at"] == first.json()["fetched_at"]
    calls = (await weather_stub.get("/_stub/calls")).json()
    assert calls[city.lower()] == 1


@pytest.mark.parametrize(
    ("prefix", "status", "detail"),
    [
        ("Nowhere", 404, "City not found"),
        ("Errorville", 502, "Weather provider failed (it answered 500)"),
        ("Garbage", 502, "Weather provider answered an unreadable payload"),
        ("Slowtown", 504, "Weather provider timed out after 1 s"),
    ],
    ids=["unknown city", "upstream 500", "upstream garbage", "upstream too slow"],
)
async def test_upstream_faults_become_clear_errors(
    gateway: httpx.AsyncClient, alice: User, prefix: str, status: int, detail: str
) -> None:
    """Whatever the third party does, the caller gets a 4xx/5xx with a reason, never a 500."""
    answer = await gateway.get(f"/api/weather/{unique_city(prefix)}", headers=alice.headers)
    assert answer.status_code == status
    assert answer.json() == {"detail": detail}


async def test_weather_needs_a_token(gateway: httpx.AsyncClient) -> None:
    assert (await gateway.get("/api/weather/London")).status_code == 401
    assert (await gateway.get("/api/weather/me")).status_code == 401
