"""Small composable fixtures for the preferences suite: mongo → settings → app → client → user.

One MongoDB-wire server for the session: mongoeco in memory, or a real MongoDB when
``MONGO_TEST_URL`` is set (the same tests pass on both). Each test gets its own database,
dropped afterwards, so tests never see each other's documents.
"""

import os
import socket
import uuid
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from inkwell_testing.apps import served
from inkwell_testing.mongo import mongo_wire_server
from inkwell_testing.tokens import TestSigner
from preferences_service.core.config import PreferencesSettings
from preferences_service.main import create_app
from preferences_service.mongo import COLLECTION, Document, database

DATABASE_PREFIX = "inkwell_test_preferences_"


@pytest.fixture(scope="session")
async def mongo_url() -> AsyncIterator[str]:
    if url := os.environ.get("MONGO_TEST_URL"):
        yield url
        return
    async with mongo_wire_server(None) as uri:
        yield uri


@pytest.fixture(scope="session")
async def mongo_client(mongo_url: str) -> AsyncIterator[AsyncMongoClient[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, serverSelectionTimeoutMS=5000)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def database_name(mongo_client: AsyncMongoClient[Document]) -> AsyncIterator[str]:
    """A database of this test's own, dropped afterwards."""
    name = DATABASE_PREFIX + uuid.uuid4().hex[:12]
    yield name
    await mongo_client.drop_database(name)


@pytest.fixture
def collection(
    mongo_client: AsyncMongoClient[Document], database_name: str
) -> AsyncCollection[Document]:
    """The collection the app writes to, for checking what was really stored."""
    return database(mongo_client, database_name)[COLLECTION]


@pytest.fixture
def settings(mongo_url: str, database_name: str) -> PreferencesSettings:
    return PreferencesSettings(
        environment="test", mongo_url=mongo_url, mongo_database=database_name
    )


@pytest.fixture
def app(
    settings: PreferencesSettings, mongo_client: AsyncMongoClient[Document], signer: TestSigner
) -> FastAPI:
    return create_app(settings, mongo_client=mongo_client, token_verifier=signer.verifier())


async def serve(app: FastAPI) -> AsyncIterator[AsyncClient]:
    """The app with its lifespan run (client opened, index created), behind an HTTP client."""
    async with served(app, base_url="http://preferences.test") as client:
        yield client


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async for client in serve(app):
        yield client


@pytest.fixture
def user_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def headers(signer: TestSigner, user_id: uuid.UUID) -> dict[str, str]:
    return signer.bearer(user_id=user_id)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
