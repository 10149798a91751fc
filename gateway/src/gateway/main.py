"""The gateway app factory: ``python -m inkwell_runtime.serve gateway.main:create_app``."""

import ssl
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.middleware.cors import CORSMiddleware

from contracts.openapi import available, load_document
from gateway.balancing import Balancer
from gateway.core.config import GatewaySettings
from gateway.docs import Document, merge_documents
from gateway.metrics import proxy_metrics
from gateway.proxy import Proxy, ProxyRoute, connection_trace
from gateway.ratelimit import LoginRateLimiter
from gateway.readiness import readiness_router
from gateway.routing import RouteTable, routes_of
from gateway.webclient import mount_webclient
from inkwell_runtime.app import build_app
from inkwell_runtime.metrics import register

DESCRIPTION = (
    "The one public entry to Inkwell: it routes each path to the service that owns it "
    "(auth, content, preferences, media, weather). Services check tokens themselves; use "
    "**Authorize** (OAuth2 password flow at `/api/auth/token`) to call them from here."
)
KEEPALIVE_EXPIRY_SECONDS = 4.0
"""Below uvicorn's 5 s keep-alive, so the gateway never reuses a connection a service closes."""


def committed_documents(services: Iterable[str]) -> dict[str, Document]:
    """The services' committed OpenAPI documents (whichever exist), in registry order."""
    committed = set(available())
    return {name: load_document(name) for name in services if name in committed}


@cache
def tls_context() -> ssl.SSLContext:
    """Verifying TLS for https:// service URLs; built once (loading CA certificates is slow)."""
    return ssl.create_default_context()


AUTO_HEADERS = ("Accept", "Accept-Encoding", "Content-Type", "User-Agent")
"""Headers aiohttp would add on its own: a proxy forwards the client's, or none."""


def upstream_session(
    settings: GatewaySettings, resolver: AbstractResolver | None = None
) -> aiohttp.ClientSession:
    """The one pooled session to every service, for the proxy and the readiness probes;
    ``resolver`` finds a name's addresses for the balancer (tests pass a fixed one)."""
    seconds = settings.gateway_timeout_seconds
    balancer = Balancer(
        resolver,
        resolve_seconds=settings.gateway_resolve_seconds,
        cooldown_seconds=settings.gateway_address_cooldown_seconds,
    )
    return aiohttp.ClientSession(
        middlewares=(balancer.middleware,) if settings.gateway_balance else (),
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
            total=None,
            connect=seconds,
            sock_connect=min(settings.gateway_connect_timeout_seconds, seconds),
            sock_read=seconds,
        ),
        auto_decompress=False,  # bytes pass through as the service encoded them
        cookie_jar=aiohttp.DummyCookieJar(),
        skip_auto_headers=AUTO_HEADERS,
        trust_env=False,  # services are reached directly, never through an HTTP(S)_PROXY
        trace_configs=[connection_trace()],  # which requests went out on a reused connection
    )


def create_app(
    settings: GatewaySettings | None = None, *, resolver: AbstractResolver | None = None
) -> FastAPI:
    """Build the gateway over the services named in ``settings`` (tests run fake ones, and
    may give the ``resolver`` that finds the addresses of their names)."""
    settings = settings or GatewaySettings()
    services = settings.service_urls()
    table = RouteTable(routes_of(settings.registry))
    limit = settings.login_rate_limit
    limiter = None if limit == "off" else LoginRateLimiter(limit, settings.rate_limit_storage_url)
    proxy = Proxy(
        services,
        max_body_bytes=settings.gateway_max_body_bytes,
        limiter=limiter,
        public_base_url=settings.gateway_public_base_url,
        timeout_seconds=settings.gateway_timeout_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with upstream_session(settings, resolver) as session:
            app.state.http_session = proxy.session = session
            try:
                yield
            finally:
                proxy.session = None
                if limiter is not None:
                    await limiter.aclose()

    # The runtime's kernel, without token verification (the services verify tokens themselves)
    # and with a /readyz of its own shape (the services' states).
    app = build_app(settings, name="gateway", description=DESCRIPTION, lifespan=lifespan)
    app.include_router(readiness_router(services, settings.readiness_timeout_seconds))
    # First: the table matches none of the gateway's own paths, and proxied requests skip them.
    app.router.routes.insert(0, ProxyRoute(table, proxy))
    app.state.proxy = proxy
    register(app, lambda: proxy_metrics(proxy))
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
            merged = merge_documents(committed_documents(services), own, table)
        return merged

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the schema
    app.swagger_ui_parameters = {"persistAuthorization": True}
    return app
