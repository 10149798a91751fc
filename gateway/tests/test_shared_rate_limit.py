"""The login limit shared by several gateways through one real ``redis-server``."""

from collections.abc import AsyncIterator

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import ValidationError

from gateway.core.config import GatewaySettings
from gateway.main import create_app
from inkwell_testing.redis import free_port, redis_fixture

from .conftest import Services, gateway_client
from .fakes import Route

pytestmark = pytest.mark.anyio
redis_url = redis_fixture()
LOGIN = "/api/auth/login"


@pytest.fixture
def auth(services: Services) -> Route:
    return services["auth"].on("POST", LOGIN, status=200, json={"access_token": "t"})


async def gateways(settings: GatewaySettings, count: int, **update: object) -> list[FastAPI]:
    return [
        create_app(settings.model_copy(update={"login_rate_limit": "3/minute", **update}))
        for _ in range(count)
    ]


@pytest.fixture
async def two_gateways(settings: GatewaySettings, redis_url: str) -> AsyncIterator[list[FastAPI]]:
    apps = await gateways(settings, 2, rate_limit_storage_url=redis_url)
    async with LifespanManager(apps[0]), LifespanManager(apps[1]):
        yield apps


async def statuses(apps: list[FastAPI], client_ip: str, attempts: int) -> list[int]:
    """``attempts`` logins from one client, alternating between the gateways."""
    codes = []
    for attempt in range(attempts):
        async with gateway_client(apps[attempt % len(apps)], client_ip) as client:
            response = await client.post(LOGIN, json={"username": "a", "password": "p"})
            codes.append(response.status_code)
    return codes


async def test_the_limit_holds_across_two_gateways(
    two_gateways: list[FastAPI], auth: Route
) -> None:
    assert await statuses(two_gateways, "198.51.100.10", 6) == [200, 200, 200, 429, 429, 429]
    assert len(auth.calls) == 3  # refused attempts never reached auth, whichever gateway
    # another client has its own budget
    assert await statuses(two_gateways, "198.51.100.11", 2) == [200, 200]


async def test_in_memory_each_gateway_allows_the_whole_limit(
    settings: GatewaySettings, auth: Route
) -> None:
    """What sharing fixes: without a store, two gateways let through twice the limit."""
    apps = await gateways(settings, 2)
    async with LifespanManager(apps[0]), LifespanManager(apps[1]):
        assert await statuses(apps, "198.51.100.12", 8) == [200] * 6 + [429] * 2


async def test_an_unreachable_store_falls_back_to_counting_locally(
    settings: GatewaySettings, auth: Route
) -> None:
    """Logins still work, and each gateway still limits (a warning is logged per attempt)."""
    (app,) = await gateways(settings, 1, rate_limit_storage_url=f"redis://127.0.0.1:{free_port()}")
    async with LifespanManager(app):
        assert await statuses([app], "198.51.100.13", 4) == [200, 200, 200, 429]


def test_the_store_must_be_redis(settings: GatewaySettings) -> None:
    with pytest.raises(ValidationError, match="must be a redis:// or rediss:// URL"):
        type(settings)(rate_limit_storage_url="memcached://127.0.0.1:11211")
    assert type(settings)(rate_limit_storage_url=" ").rate_limit_storage_url is None
