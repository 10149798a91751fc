"""The app factory every service builds on: one way to wire logging, errors, health and auth."""

import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

import httpx
from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, FastAPI

from inkwell_runtime import revocations
from inkwell_runtime.errors import install_error_handlers
from inkwell_runtime.health import ReadinessCheck, health_router, liveness_router
from inkwell_runtime.jwks import RemoteJWKS
from inkwell_runtime.jwt import TokenVerifier
from inkwell_runtime.logging import configure_logging
from inkwell_runtime.settings import ServiceSettings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def is_valid_request_id(value: str) -> bool:
    """Accept a caller's request id only when it is short and log-safe; otherwise a new one
    is generated (so a client cannot inject newlines or megabytes into every log line)."""
    return _REQUEST_ID.fullmatch(value) is not None


def build_service_app(
    settings: ServiceSettings,
    *,
    name: str,
    description: str,
    routers: Iterable[APIRouter],
    readiness_checks: Mapping[str, ReadinessCheck] | None = None,
    lifespan: Lifespan | None = None,
    token_verifier: TokenVerifier | None = None,
    verify_tokens: bool = True,
    readiness: APIRouter | None = None,
    version: str = "0.1.0",
) -> FastAPI:
    """Build a service's FastAPI app.

    ``token_verifier`` given: used as is (auth passes its own key set; tests pass a verifier
    over a test key). Not given: the lifespan builds one over auth's JWKS (``AUTH_JWKS_URL``),
    with its own pooled HTTP client. ``verify_tokens=False``: the app verifies no tokens (the
    gateway leaves auth to the services), so no JWKS client is built.

    ``readiness`` replaces the default ``/readyz`` (``readiness_checks``) with a router of the
    app's own, for an app whose readiness has another shape (the gateway's reports services).
    """
    configure_logging(name, settings.log_level, json=settings.log_json)

    @asynccontextmanager
    async def app_lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if verify_tokens and getattr(app.state, "token_verifier", None) is None:
                client = await stack.enter_async_context(httpx.AsyncClient(timeout=5.0))
                app.state.token_verifier = TokenVerifier(
                    RemoteJWKS(
                        settings.auth_jwks_url,
                        client,
                        cache_seconds=settings.jwks_cache_seconds,
                        min_refresh_seconds=settings.jwks_min_refresh_seconds,
                    ),
                    issuer=settings.jwt_issuer,
                    audience=settings.jwt_audience,
                )
                if settings.auth_revocations_url:
                    app.state.revocations = await stack.enter_async_context(
                        revocations.following(
                            settings.auth_revocations_url, client, settings.revocations_poll_seconds
                        )
                    )
            if lifespan is not None:
                await stack.enter_async_context(lifespan(app))
            yield

    app = FastAPI(
        title=f"Inkwell {name}",
        description=description,
        version=version,
        lifespan=app_lifespan,
    )
    app.state.settings = settings
    app.state.token_verifier = token_verifier
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name=REQUEST_ID_HEADER,
        validator=is_valid_request_id,
        update_request_header=True,
    )
    install_error_handlers(app)
    if readiness is None:
        timeout = settings.readiness_timeout_seconds
        app.include_router(health_router(readiness_checks or {}, timeout))
    else:
        app.include_router(liveness_router())
        app.include_router(readiness)
    for router in routers:
        app.include_router(router)
    return app
