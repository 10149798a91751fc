"""The media app factory: ``python -m inkwell_runtime.serve media_service.main:create_app``."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aioboto3
import anyio
from botocore.exceptions import BotoCoreError, ClientError
from fastapi import FastAPI, Request

from inkwell_runtime.app import Lifespan, build_service_app
from inkwell_runtime.jwt import TokenVerifier
from media_service.api.deps import get_settings, get_store
from media_service.api.routes import internal, pictures
from media_service.core.config import MediaSettings
from media_service.storage import PictureStore

logger = logging.getLogger(__name__)


def s3_lifespan(settings: MediaSettings, session: Any = None) -> Lifespan:
    """One S3 client for the app's lifetime (its connection pool shared by every request)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s3_session = session or aioboto3.Session()
        async with s3_session.client("s3", **settings.s3_client_kwargs()) as client:
            store = PictureStore(client, settings.s3_bucket)
            if settings.creates_bucket:
                try:
                    await store.ensure_bucket(settings.aws_default_region)
                except (BotoCoreError, ClientError) as exc:
                    # Start anyway: requests answer 503 and /readyz retries until S3 is up.
                    logger.warning("bucket %s not ensured at startup: %r", settings.s3_bucket, exc)
            app.state.store = store
            app.state.image_limiter = anyio.CapacityLimiter(settings.image_workers)
            yield

    return lifespan


async def storage_ready(request: Request) -> None:
    """The bucket answers; in development and test it is created if it is still missing."""
    store: PictureStore = get_store(request)
    settings: MediaSettings = get_settings(request)
    if settings.creates_bucket:
        await store.ensure_bucket(settings.aws_default_region)
    else:
        await store.check()


def create_app(
    settings: MediaSettings | None = None,
    *,
    s3_session: Any = None,
    token_verifier: TokenVerifier | None = None,
) -> FastAPI:
    """``s3_session``: an ``aioboto3.Session`` to share (tests reuse one: each new session
    loads botocore's service models again, about half a second)."""
    settings = settings or MediaSettings()
    return build_service_app(
        settings,
        name="media",
        description="Profile pictures (PNG, JPEG, WebP) stored in S3.",
        routers=[pictures.router, internal.router],
        readiness_checks={"storage": storage_ready},
        lifespan=s3_lifespan(settings, s3_session),
        token_verifier=token_verifier,
    )


def openapi_app() -> FastAPI:
    """The app as documented in ``contracts/`` (no I/O happens to build it)."""
    return create_app(MediaSettings(environment="test"))
