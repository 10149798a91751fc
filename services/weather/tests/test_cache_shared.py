"""``WEATHER_CACHE_URL``: one cache in Redis (a real, throwaway ``redis-server``) for every
weather replica, so a city is fetched once whichever replica is asked; Redis failing is a miss,
never an error."""

import json
import random
import string
from datetime import datetime

import pytest
import respx
from redis.asyncio import Redis

from inkwell_testing.redis import free_port, redis_fixture
from weather_service.cache import KEY_PREFIX
from weather_service.core.config import WeatherSettings

from .conftest import CACHE_SECONDS, ClientWith, answer, j1

pytestmark = pytest.mark.anyio
redis_url = redis_fixture()


@pytest.fixture
def city() -> str:
    """A city no other test of the module cached (the server lives for the module)."""
    return "Paris" + "".join(random.choices(string.ascii_lowercase, k=8))


@pytest.fixture
def sunny(upstream: respx.Route) -> respx.Route:
    upstream.mock(side_effect=answer(json=j1("Sunny", "24", wind_kmh="16")))
    return upstream


async def test_a_city_fetched_by_one_replica_is_cached_for_the_other(
    client_with: ClientWith,
    redis_url: str,
    sunny: respx.Route,
    auth_headers: dict[str, str],
    city: str,
) -> None:
    async with (
        client_with(weather_cache_url=redis_url) as first,
        client_with(weather_cache_url=redis_url) as second,
    ):
        fetched = await first.get(f"/api/weather/{city}", headers=auth_headers)
        cached = await second.get(
            f"/api/weather/{city.upper()}?units=imperial", headers=auth_headers
        )

    assert fetched.status_code == cached.status_code == 200
    assert (fetched.json()["cached"], cached.json()["cached"]) == (False, True)
    assert cached.json()["fetched_at"] == fetched.json()["fetched_at"]
    assert cached.json()["temperature"] == 75.2  # 24 °C, converted from the stored metric
    assert cached.json()["wind_speed"] == 9.9  # 16 km/h in mph
    assert sunny.call_count == 1
    async with Redis.from_url(redis_url) as redis:
        key = KEY_PREFIX + city.lower()
        raw = await redis.get(key)
        assert raw is not None
        stored = json.loads(raw)
        ttl_ms = await redis.pttl(key)
    assert stored["description"] == "Sunny"
    assert stored["temperature_c"] == 24.0
    assert datetime.fromisoformat(stored["fetched_at"]).isoformat() == fetched.json()[
        "fetched_at"
    ].replace("Z", "+00:00")
    assert 0 < ttl_ms <= CACHE_SECONDS * 1000  # Redis expires it


async def test_caching_off_stores_nothing(
    client_with: ClientWith,
    redis_url: str,
    sunny: respx.Route,
    auth_headers: dict[str, str],
    city: str,
) -> None:
    async with client_with(weather_cache_url=redis_url, weather_cache_seconds=0) as client:
        answers = [
            (await client.get(f"/api/weather/{city}", headers=auth_headers)).json()["cached"]
            for _ in range(2)
        ]

    assert answers == [False, False]
    assert sunny.call_count == 2
    async with Redis.from_url(redis_url) as redis:
        assert await redis.exists(KEY_PREFIX + city.lower()) == 0


async def test_redis_down_is_a_miss_not_an_error(
    client_with: ClientWith,
    sunny: respx.Route,
    auth_headers: dict[str, str],
    city: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    nobody = f"redis://127.0.0.1:{free_port()}/0"
    async with client_with(weather_cache_url=nobody) as client:
        answers = [await client.get(f"/api/weather/{city}", headers=auth_headers) for _ in range(2)]

    assert [a.status_code for a in answers] == [200, 200]
    assert [a.json()["cached"] for a in answers] == [False, False]
    assert sunny.call_count == 2
    assert "weather cache unreachable" in caplog.text


async def test_an_unreadable_entry_is_a_miss(
    client_with: ClientWith,
    redis_url: str,
    sunny: respx.Route,
    auth_headers: dict[str, str],
    city: str,
) -> None:
    async with Redis.from_url(redis_url) as redis:
        await redis.set(KEY_PREFIX + city.lower(), b'{"written by": "another version"}')
    async with client_with(weather_cache_url=redis_url) as client:
        answer_ = await client.get(f"/api/weather/{city}", headers=auth_headers)

    assert (answer_.status_code, answer_.json()["cached"]) == (200, False)
    assert sunny.call_count == 1


@pytest.mark.parametrize("url", ["memcached://x:11211", "http://redis:6379"])
def test_only_a_redis_url_is_accepted(url: str) -> None:
    with pytest.raises(ValueError, match="redis://"):
        WeatherSettings(environment="test", weather_cache_url=url)


def test_blank_is_the_in_process_cache() -> None:
    assert WeatherSettings(environment="test", weather_cache_url=" ").weather_cache_url is None
