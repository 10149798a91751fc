"""MongoDB through PyMongo's native async API: the client, the index, outages as 503.

The unique index on ``user_id`` is what keeps one document per user, so no query runs before it
exists: :meth:`Mongo.ensure_indexes` is tried at startup and, if MongoDB was down then, again
before the first query (and by ``/readyz``). Once it succeeded it costs nothing.
"""

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import Any

from bson.codec_options import CodecOptions
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, ExecutionTimeout

from inkwell_runtime.errors import ServiceUnavailable
from preferences_service.core.config import PreferencesSettings

logger = logging.getLogger(__name__)

Document = dict[str, Any]

COLLECTION = "preferences"
INDEXES = [IndexModel("user_id", unique=True, name="user_id_unique")]

CODEC_OPTIONS: CodecOptions[Document] = CodecOptions(tz_aware=True, tzinfo=UTC)
"""Datetimes come back as aware UTC datetimes, whatever options the client was built with."""

UNAVAILABLE = "Preferences database unavailable"

OUTAGES = (ConnectionFailure, ExecutionTimeout)
"""Unreachable or timed out (server selection, network errors, a stepped-down primary)."""


@contextmanager
def outage_as_503() -> Iterator[None]:
    """Turn a MongoDB outage into a 503 with a clear detail (never a 500)."""
    try:
        yield
    except OUTAGES as exc:
        logger.warning("MongoDB unavailable: %r", exc)
        raise ServiceUnavailable(UNAVAILABLE) from exc


def connect(settings: PreferencesSettings) -> AsyncMongoClient[Document]:
    """A client for ``MONGO_URL``; it connects lazily, in the background, on first use."""
    return AsyncMongoClient(
        settings.mongo_url,
        serverSelectionTimeoutMS=settings.mongo_server_selection_timeout_ms,
        appname="inkwell-preferences",
    )


def database(client: AsyncMongoClient[Document], name: str) -> AsyncDatabase[Document]:
    return client.get_database(name, codec_options=CODEC_OPTIONS)


async def create_indexes(db: AsyncDatabase[Document]) -> None:
    """Idempotent: MongoDB accepts an identical index again."""
    await db[COLLECTION].create_indexes(INDEXES)


class Mongo:
    """The service's database handle, kept on ``app.state.mongo`` by the lifespan."""

    def __init__(
        self, client: AsyncMongoClient[Document], database_name: str, *, owns_client: bool
    ) -> None:
        self.client = client
        self.database = database(client, database_name)
        self._owns_client = owns_client
        self._indexed = False
        self._lock = asyncio.Lock()

    async def ensure_indexes(self) -> None:
        if self._indexed:
            return
        async with self._lock:
            if not self._indexed:
                await create_indexes(self.database)
                self._indexed = True
                logger.info("indexes ready on %s.%s", self.database.name, COLLECTION)

    async def ping(self) -> None:
        await self.client.admin.command("ping")

    async def close(self) -> None:
        if self._owns_client:
            await self.client.close()
