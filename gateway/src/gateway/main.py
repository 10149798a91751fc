"""The gateway app factory: ``uvicorn --factory gateway.main:create_app --port 8000``."""

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import aiohttp
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
from gateway.webclient import mount_webclient
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
    return ssl.create_default_context()


AUTO_HEADERS = ("Accept", "Accept-Encoding", "Content-Type", "User-Agent")
"""Headers aiohttp would add on its own: a proxy forwards the client's, or none."""


def upstream_session(settings: GatewaySettings) -> aiohttp.ClientSession:
    """The one pooled session to every service, for the proxy and the readiness probes."""
    seconds = settings.gateway_timeout_seconds
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=settings.gateway_max_connections,
            limit_per_host=0,
            keepalive_timeout=KEEPALIVE_EXPIRY_SECONDS,
            # Resolve the service's name for every new connection, as httpx does: a stopped or
            # replaced container's address goes away with it (compose, Kubernetes), and a cached
            # one makes the gateway connect to a dead address (seconds to fail) instead of
            # answering 503 at once, or keep calling the old address after a restart.
            use_dns_cache=False,
            ssl=tls_context(),
        ),
        # Waiting for a pooled connection, connecting, and each read may take ``seconds``;
        # a slow-but-steady answer is never cut short by a total.
        timeout=aiohttp.ClientTimeout(
            total=None, connect=seconds, sock_connect=seconds, sock_read=seconds
        ),
        auto_decompress=False,  # bytes pass through as the service encoded them
        cookie_jar=aiohttp.DummyCookieJar(),
        skip_auto_headers=AUTO_HEADERS,
        trust_env=False,  # services are reached directly, never through an HTTP(S)_PROXY
    )


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """Build the gateway over the services named in ``settings`` (tests run fake ones)."""
    settings = settings or GatewaySettings()
    services = settings.service_urls()
    table = RouteTable()
    limit = settings.login_rate_limit
    proxy = Proxy(
        services,
        max_body_bytes=settings.gateway_max_body_bytes,
        limiter=None if limit == "off" else LoginRateLimiter(limit),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with upstream_session(settings) as session:
            app.state.http_session = proxy.session = session
            try:
                yield
            finally:
                proxy.session = None

    app = build_service_app(
        settings,
        name="gateway",
        description=DESCRIPTION,
        routers=[],
        lifespan=lifespan,
        verify_tokens=False,
        readiness=readiness_router(services, settings.readiness_timeout_seconds),
    )
    # First: the table matches none of the gateway's own paths, and proxied requests skip them.
    app.router.routes.insert(0, ProxyRoute(table, proxy))
    app.state.proxy = proxy
    mount_webclient(app)
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
