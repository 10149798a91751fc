"""Readiness and MongoDB outages: 503 with a clear detail, never a 500, and recovery."""

from collections.abc import AsyncIterator

import anyio
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from pymongo import AsyncMongoClient

from inkwell_testing.mongo import mongo_wire_server
from inkwell_testing.tokens import TestSigner
from preferences_service.core.config import PreferencesSettings
from preferences_service.main import create_app
from preferences_service.mongo import COLLECTION, Document

from .conftest import DATABASE_PREFIX, closed_port, serve

pytestmark = pytest.mark.anyio

URL = "/api/users/me/preferences"
READY_LIMIT_SECONDS = 30  # a guard against hanging, not a timing check
UNAVAILABLE = {"detail": "Preferences database unavailable"}


def settings_for(port: int, database_name: str) -> PreferencesSettings:
    """The app's own client (not the suite's), quick to give up on an unreachable server."""
    return PreferencesSettings(
        environment="test",
        mongo_url=f"mongodb://127.0.0.1:{port}/?directConnection=true",
        mongo_database=database_name,
        mongo_server_selection_timeout_ms=200,
    )


def app_on(port: int, database_name: str, signer: TestSigner) -> FastAPI:
    return create_app(settings_for(port, database_name), token_verifier=signer.verifier())


@pytest.fixture(scope="module")
async def client_on_down_mongo(signer: TestSigner) -> AsyncIterator[AsyncClient]:
    """The service started while nothing listens at its MONGO_URL.

    One for the tests that only call it (none of them brings MongoDB up): each start waits out
    a server selection (~0.5 s, the driver's minimum recheck interval).
    """
    async for client in serve(app_on(closed_port(), f"{DATABASE_PREFIX}down", signer)):
        yield client


@pytest.fixture
async def down_port() -> int:
    return closed_port()


@pytest.fixture
async def client_before_mongo(
    down_port: int, database_name: str, signer: TestSigner
) -> AsyncIterator[AsyncClient]:
    """This test's own service, started while nothing listens at ``down_port``."""
    async for client in serve(app_on(down_port, database_name, signer)):
        yield client


async def test_readyz_when_mongo_answers(client: AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"mongo": "up"}, "details": {}}


async def test_starts_without_mongo_and_reports_not_ready(
    client_on_down_mongo: AsyncClient,
) -> None:
    response = await client_on_down_mongo.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "checks": {"mongo": "down"}, "details": {}}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_routes_answer_503_while_mongo_is_down(
    client_on_down_mongo: AsyncClient, signer: TestSigner, method: str
) -> None:
    response = await client_on_down_mongo.request(
        method, URL, json={"city": "Oslo"}, headers=signer.bearer()
    )

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert response.headers["Retry-After"] == "5"


async def test_the_token_is_checked_before_mongo(client_on_down_mongo: AsyncClient) -> None:
    response = await client_on_down_mongo.get(URL)

    assert response.status_code == 401


async def until_ready(client: AsyncClient) -> None:
    """The driver rechecks a server it saw down at most every 0.5 s: wait for it to notice."""
    with anyio.fail_after(READY_LIMIT_SECONDS):
        while True:
            if (await client.get("/readyz")).status_code == 200:
                return
            await anyio.sleep(0.1)


async def test_follows_mongo_coming_up_and_going_away(
    client_before_mongo: AsyncClient, down_port: int, database_name: str, signer: TestSigner
) -> None:
    """Down at startup, then up (the index is created on first use), then gone again while
    the app's pool still holds connections to it: 503, 200, 503, never a 500."""
    headers = signer.bearer()
    before = await client_before_mongo.put(URL, json={"city": "Oslo"}, headers=headers)

    async with mongo_wire_server(None, port=down_port) as uri:
        await until_ready(client_before_mongo)
        saved = await client_before_mongo.put(URL, json={"city": "Oslo"}, headers=headers)
        read = await client_before_mongo.get(URL, headers=headers)
        direct: AsyncMongoClient[Document] = AsyncMongoClient(uri)
        async with direct:
            indexes = await direct[database_name][COLLECTION].index_information()

    after = await client_before_mongo.get(URL, headers=headers)
    not_ready = await client_before_mongo.get("/readyz")

    assert before.status_code == 503
    assert (saved.status_code, read.json()["city"]) == (200, "Oslo")
    assert indexes["user_id_unique"]["unique"] is True
    assert (after.status_code, after.json()) == (503, UNAVAILABLE)
    assert not_ready.status_code == 503
