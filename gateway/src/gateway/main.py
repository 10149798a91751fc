"""The gateway app factory: ``uvicorn --factory gateway.main:create_app --port 8000``."""

import logging
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.middleware.cors import CORSMiddleware

from contracts.openapi import available, load_document
from gateway.core.config import GatewaySettings
from gateway.docs import Document, merge_documents
from gateway.proxy import Proxy, ProxyRoute
from gateway.ratelimit import LoginRateLimiter
from gateway.readiness import readiness_router
from gateway.routing import SERVICES, RouteTable
from inkwell_runtime.app import build_service_app

DESCRIPTION = (
    "The one public entry to Inkwell: it routes each path to the service that owns it "
    "(auth, content, preferences, media, weather). Services check tokens themselves; use "
    "**Authorize** (OAuth2 password flow at `/api/auth/token`) to call them from here."
)
KEEPALIVE_EXPIRY_SECONDS = 4.0
"""Below uvicorn's 5 s keep-alive, so the gateway never reuses a connection a service closes."""


def committed_documents() -> dict[str, Document]:
    """The services' committed OpenAPI documents (whichever exist), in route-table order."""
    committed = set(available())
    return {name: load_document(name) for name in SERVICES if name in committed}


@cache
def tls_context() -> ssl.SSLContext:
    """Verifying TLS for https:// service URLs; built once (loading CA certificates is slow)."""
    return httpx.create_ssl_context()


def http_transport(settings: GatewaySettings) -> httpx.AsyncHTTPTransport:
    connections = settings.gateway_max_connections
    return httpx.AsyncHTTPTransport(
        verify=tls_context(),
        limits=httpx.Limits(
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS,
        ),
        retries=0,
    )


def create_app(
    settings: GatewaySettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Build the gateway; tests pass a ``transport`` (or use respx) in place of the network."""
    settings = settings or GatewaySettings()
    services = settings.service_urls()
    table = RouteTable()
    limit = settings.login_rate_limit
    proxy = Proxy(
        services,
        timeout_seconds=settings.gateway_timeout_seconds,
        max_body_bytes=settings.gateway_max_body_bytes,
        limiter=None if limit == "off" else LoginRateLimiter(limit),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = transport or http_transport(settings)
        async with httpx.AsyncClient(
            transport=pool,
            timeout=settings.gateway_timeout_seconds,
            follow_redirects=False,
            trust_env=False,  # services are reached directly, never through an HTTP(S)_PROXY
        ) as client:
            app.state.http_client = client
            proxy.transport = pool  # the client's own pool, closed with it
            try:
                yield
            finally:
                proxy.transport = None

    app = build_service_app(
        settings,
        name="gateway",
        description=DESCRIPTION,
        routers=[],
        lifespan=lifespan,
        verify_tokens=False,
        readiness=readiness_router(services, settings.readiness_timeout_seconds),
    )
    # httpx logs every request at INFO: one more line per proxied request than the access log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # First: the table matches none of the gateway's own paths, and proxied requests skip them.
    app.router.routes.insert(0, ProxyRoute(table, proxy))
    app.state.proxy = proxy
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )

    merged: Document | None = None

    def openapi() -> dict[str, Any]:
        nonlocal merged
        if merged is None:
            own = get_openapi(
                title="Inkwell API",
                version=app.version,
                description=DESCRIPTION,
                routes=app.routes,
            )
            merged = merge_documents(committed_documents(), own, table)
        return merged

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the schema
    app.swagger_ui_parameters = {"persistAuthorization": True}
    return app
