"""The content app factory: ``python -m inkwell_runtime.serve content_service.main:create_app``."""

from fastapi import FastAPI

from content_service.api.routes import internal, posts
from content_service.core.config import ContentSettings
from inkwell_runtime.app import build_service_app
from inkwell_runtime.db import database_lifespan, database_ready
from inkwell_runtime.jwt import TokenVerifier


def create_app(
    settings: ContentSettings | None = None, *, token_verifier: TokenVerifier | None = None
) -> FastAPI:
    """``token_verifier`` unset: tokens are checked against auth's JWKS (``AUTH_JWKS_URL``)."""
    settings = settings or ContentSettings()
    return build_service_app(
        settings,
        name="content",
        description=(
            "Blog posts. Reading is public; writing needs a bearer token from auth, "
            "whose claims name the author."
        ),
        routers=[posts.router, internal.router],
        readiness_checks={"database": database_ready},
        lifespan=database_lifespan(settings.database_dsn),
        token_verifier=token_verifier,
    )


def openapi_app() -> FastAPI:
    """The app as documented in ``contracts/`` (no I/O happens to build it)."""
    return create_app(ContentSettings(environment="test"))
