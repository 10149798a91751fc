"""The preferences app factory (served by ``python -m inkwell_runtime.serve``)."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from pymongo import AsyncMongoClient

from inkwell_runtime.app import Lifespan, build_service_app
from inkwell_runtime.jwt import TokenVerifier
from preferences_service.api.deps import get_mongo
from preferences_service.api.routes import internal, preferences
from preferences_service.core.config import PreferencesSettings
from preferences_service.mongo import OUTAGES, Document, Mongo, connect

logger = logging.getLogger(__name__)


def mongo_lifespan(
    settings: PreferencesSettings, client: AsyncMongoClient[Document] | None
) -> Lifespan:
    """Opens the client (unless one was injected), puts :class:`Mongo` on ``app.state.mongo``.

    MongoDB being down at startup does not stop the service: it starts not ready (``/readyz``
    503, routes 503) and creates its index once MongoDB answers.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        mongo = Mongo(
            client or connect(settings), settings.mongo_database, owns_client=client is None
        )
        app.state.mongo = mongo
        try:
            await mongo.ensure_indexes()
        except OUTAGES as exc:
            logger.warning("MongoDB unreachable at startup, indexes deferred to first use: %r", exc)
        try:
            yield
        finally:
            await mongo.close()

    return lifespan


async def mongo_ready(request: Request) -> None:
    mongo: Mongo = get_mongo(request)
    await mongo.ping()
    await mongo.ensure_indexes()


def create_app(
    settings: PreferencesSettings | None = None,
    *,
    mongo_client: AsyncMongoClient[Document] | None = None,
    token_verifier: TokenVerifier | None = None,
) -> FastAPI:
    """``mongo_client``: a client the caller owns (tests share one); default: one for MONGO_URL."""
    settings = settings or PreferencesSettings()
    return build_service_app(
        settings,
        name="preferences",
        description="Each user's settings (city, units), stored in MongoDB. "
        "The weather service reads them with the caller's token.",
        routers=[preferences.router, internal.router],
        readiness_checks={"mongo": mongo_ready},
        lifespan=mongo_lifespan(settings, mongo_client),
        token_verifier=token_verifier,
    )


def openapi_app() -> FastAPI:
    """The app as documented in ``contracts/`` (no I/O happens to build it)."""
    return create_app(PreferencesSettings(environment="test"))
