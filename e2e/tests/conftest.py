"""The e2e suite's fixtures: one running system per session, an HTTP client to its gateway,
users with real tokens, and read access to the stores for side-effect checks.

``E2E_STACK`` picks how the system comes up (see ``inkwell_e2e.systems``): ``local`` (default)
starts it with the ``make dev`` supervisor on its own ports and databases.
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from inkwell_e2e.flows import User, register
from inkwell_e2e.systems import System, system_from_env

HTTP_TIMEOUT = 20.0


@pytest.fixture(scope="session")
def system(request: pytest.FixtureRequest) -> Iterator[System]:
    """The whole system, up and ready (its progress is printed as it starts)."""
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")

    def out(line: str) -> None:
        if reporter is None or capture is None:
            print(line)
            return
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(line)

    with system_from_env(out) as running:
        yield running


@pytest.fixture
async def gateway(system: System) -> AsyncIterator[httpx.AsyncClient]:
    """The only door the tests use: plain HTTP to the gateway."""
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=HTTP_TIMEOUT) as client:
        yield client


@pytest.fixture
def new_user(gateway: httpx.AsyncClient) -> Callable[..., Awaitable[User]]:
    """Registers a fresh user (unique name) and logs them in: ``await new_user("alice")``."""

    async def make(prefix: str = "user") -> User:
        return await register(gateway, prefix)

    return make


@pytest.fixture
async def alice(new_user: Callable[..., Awaitable[User]]) -> User:
    return await new_user("alice")


@pytest.fixture
async def bob(new_user: Callable[..., Awaitable[User]]) -> User:
    return await new_user("bob")


# -- the stores, for side-effect checks -----------------------------------------------------------
@pytest.fixture
def bucket(system: System) -> Any:
    """A plain boto3 S3 client at the system's S3 endpoint (moto locally, LocalStack in compose)."""
    stores = system.stores
    if stores.s3_endpoint is None or stores.bucket is None:
        pytest.skip("no S3 endpoint for side-effect checks (E2E_S3_ENDPOINT/E2E_S3_BUCKET)")
    return boto3.client(
        "s3",
        endpoint_url=stores.s3_endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )


@pytest.fixture
async def mongo(system: System) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    """The preferences database, through PyMongo's async client."""
    stores = system.stores
    if stores.mongo_url is None or stores.mongo_database is None:
        pytest.skip("no Mongo for side-effect checks (E2E_MONGO_URL/E2E_MONGO_DATABASE)")
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        stores.mongo_url, serverSelectionTimeoutMS=5000
    )
    try:
        yield client[stores.mongo_database]
    finally:
        await client.close()


def _database(system: System, service: str) -> str:
    url = system.stores.database_urls.get(service)
    if url is None:
        pytest.skip(
            f"no {service} database for side-effect checks (E2E_{service.upper()}_DATABASE_URL)"
        )
    return url


@pytest.fixture
async def auth_db(system: System) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(_database(system, "auth"), poolclass=NullPool)
    yield engine
    await engine.dispose()


@pytest.fixture
async def content_db(system: System) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(_database(system, "content"), poolclass=NullPool)
    yield engine
    await engine.dispose()


@pytest.fixture
async def weather_stub(system: System) -> AsyncIterator[httpx.AsyncClient]:
    """The weather stub's own API (``/_stub/calls``): what reached the upstream."""
    if system.stores.weather_stub_url is None:
        pytest.skip("the weather stub is not reachable from the tests (E2E_WEATHER_STUB_URL)")
    async with httpx.AsyncClient(base_url=system.stores.weather_stub_url, timeout=5.0) as client:
        yield client


@pytest.fixture
async def mail(system: System) -> AsyncIterator[httpx.AsyncClient]:
    """The SMTP capture server's listing (``/messages``): the mail auth really sent."""
    if system.stores.mail_url is None:
        pytest.skip("no mail capture listing reachable from the tests (E2E_MAIL_URL)")
    async with httpx.AsyncClient(base_url=system.stores.mail_url, timeout=5.0) as client:
        yield client
