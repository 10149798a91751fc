"""The kernel every app builds on (request ids, JSON errors, health) and the service app on it."""

import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

import anyio
import httpx
from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, FastAPI, Request
from fastapi_offline import FastAPIOffline

from inkwell_runtime import revocations
from inkwell_runtime.docs import use_token_url
from inkwell_runtime.drain import CloseWhileDraining
from inkwell_runtime.errors import install_error_handlers
from inkwell_runtime.guard import install_request_guard
from inkwell_runtime.health import ReadinessCheck, liveness_router, readiness_router
from inkwell_runtime.jwks import RemoteJWKS
from inkwell_runtime.jwt import CognitoTokenVerifier, TokenVerifier
from inkwell_runtime.observe import observe
from inkwell_runtime.settings import ServiceSettings

logger = logging.getLogger(__name__)

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def is_valid_request_id(value: str) -> bool:
    """Accept a caller's request id only when it is short and log-safe; otherwise a new one
    is generated (so a client cannot inject newlines or megabytes into every log line)."""
    return _REQUEST_ID.fullmatch(value) is not None


def build_app(
    settings: ServiceSettings,
    *,
    name: str,
    description: str,
    lifespan: Lifespan | None = None,
    version: str = "0.1.0",
) -> FastAPI:
    """The kernel every Inkwell app is built on, the gateway included: ``settings`` on
    ``app.state``, ``X-Request-ID`` on every request and log line, JSON errors, ``/healthz``.

    Logging is configured once per process, before the app is built (``inkwell_runtime.serve``).
    """
    # /docs and /redoc load Swagger UI and ReDoc from the app itself (no CDN: they work offline)
    app = FastAPIOffline(
        title=f"Inkwell {name}",
        description=description,
        version=version,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.draining = False  # True from SIGTERM on (inkwell_runtime.drain)
    # Inside the request-id middleware, so a rejection carries its id: hostile input (NUL, NaN,
    # deep nesting, a body past the cap) never reaches a route (the gateway has no limits: None).
    if (limits := settings.guard_limits()) is not None:
        install_request_guard(app, limits)
    observe(app, name)  # metrics, traces and one access line per request (inkwell_runtime.observe)
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name=REQUEST_ID_HEADER,
        validator=is_valid_request_id,
        update_request_header=True,
    )
    # outermost: while draining, every response (errors included) says Connection: close
    app.add_middleware(CloseWhileDraining, owner=app)
    install_error_handlers(app)
    app.include_router(liveness_router())
    return app


def jwks_verifier_lifespan(settings: ServiceSettings) -> Lifespan:
    """A lifespan putting a verifier over auth's JWKS (``AUTH_JWKS_URL``) on
    ``app.state.token_verifier``, with its own pooled HTTP client; unless one is there already.

    With ``AUTH_PROVIDER=cognito`` users' tokens are verified against the Cognito pool's JWKS
    instead (:class:`CognitoTokenVerifier`), and ``app.state.service_verifier`` keeps auth's
    JWKS for service tokens.

    The keys are fetched at start, in the background (auth may be starting too), and again by
    each ``/readyz`` until they are there (:func:`signing_keys_check`): once fetched, they
    outlive an outage of auth (:class:`RemoteJWKS`), so a replica that has served nothing yet
    verifies tokens while auth is down as well as one that has."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "token_verifier", None) is not None:
            yield
            return
        async with AsyncExitStack() as stack:
            client = await stack.enter_async_context(httpx.AsyncClient(timeout=5.0))
            app.state.key_sources = []

            def keys_at(url: str) -> RemoteJWKS:
                source = RemoteJWKS(
                    url,
                    client,
                    cache_seconds=settings.jwks_cache_seconds,
                    min_refresh_seconds=settings.jwks_min_refresh_seconds,
                )
                app.state.key_sources.append(source)
                return source

            auth_keys = TokenVerifier(
                keys_at(settings.auth_jwks_url),
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
            )
            # Service tokens (inkwell_runtime.service_identity) are always auth's own.
            app.state.service_verifier = auth_keys
            app.state.token_verifier = auth_keys
            if settings.auth_provider == "cognito":
                app.state.token_verifier = CognitoTokenVerifier(
                    keys_at(settings.cognito_keys_url),
                    issuer=settings.cognito_token_issuer,
                    audience=str(settings.cognito_client_id),
                )
            if settings.auth_revocations_url:  # sessions and users auth revoked, polled
                app.state.revocations = await stack.enter_async_context(
                    revocations.following(
                        settings.auth_revocations_url, client, settings.revocations_poll_seconds
                    )
                )
            task_group = await stack.enter_async_context(anyio.create_task_group())
            task_group.start_soon(_prefetch, app.state.key_sources)
            yield
            task_group.cancel_scope.cancel()

    return lifespan


async def _prefetch(sources: list[RemoteJWKS]) -> None:
    for source in sources:
        try:
            await source.ensure_loaded()
        except httpx.HTTPError as exc:  # /readyz asks again (and says not ready meanwhile)
            logger.warning("signing keys not fetched from %s at start: %r", source.url, exc)


async def signing_keys_check(request: Request) -> None:
    """Readiness: the signing keys this service verifies tokens with have been fetched (tried
    again here while they have not); none to fetch when the verifier was given."""
    for source in getattr(request.app.state, "key_sources", ()):
        await source.ensure_loaded()


def chain(*lifespans: Lifespan | None) -> Lifespan:
    """One lifespan entering ``lifespans`` in order (and leaving them in reverse)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for each in lifespans:
                if each is not None:
                    await stack.enter_async_context(each(app))
            yield

    return lifespan


def build_service_app(
    settings: ServiceSettings,
    *,
    name: str,
    description: str,
    routers: Iterable[APIRouter],
    readiness_checks: Mapping[str, ReadinessCheck] | None = None,
    lifespan: Lifespan | None = None,
    token_verifier: TokenVerifier | None = None,
    version: str = "0.1.0",
) -> FastAPI:
    """Build a service's FastAPI app: the kernel (:func:`build_app`), token verification,
    ``/readyz`` over ``readiness_checks``, then ``routers``.

    ``token_verifier`` given: used as is (auth passes its own key set; tests pass a verifier
    over a test key). Not given: the lifespan builds one over auth's JWKS (``AUTH_JWKS_URL``).
    """
    app = build_app(
        settings,
        name=name,
        description=description,
        version=version,
        lifespan=chain(jwks_verifier_lifespan(settings), lifespan),
    )
    app.state.token_verifier = token_verifier
    checks = dict(readiness_checks or {})
    if token_verifier is None:  # the lifespan's verifier, over keys fetched from auth
        checks["signing_keys"] = signing_keys_check
    app.include_router(readiness_router(checks, settings.readiness_timeout_seconds))
    for router in routers:
        app.include_router(router)
    use_token_url(app, settings.docs_token_url)
    return app
