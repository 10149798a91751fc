"""The auth app factory: ``python -m inkwell_runtime.serve auth_service.main:create_app``."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial

import anyio
import httpx
from fastapi import FastAPI

from auth_service import outbox
from auth_service.api.routes import auth, internal, users
from auth_service.api.routes import cognito as cognito_routes
from auth_service.cognito import open_pool
from auth_service.core.config import AuthSettings
from auth_service.email import EmailSender, LoggingEmailSender, SmtpEmailSender
from auth_service.jobs import DetachedJobs
from auth_service.keys import KeySet, load_key_set
from auth_service.passwords import PasswordHasher
from auth_service.throttle import LoginThrottle
from inkwell_runtime.app import Lifespan, build_service_app
from inkwell_runtime.db import database_lifespan, database_ready
from inkwell_runtime.jwt import SigningKey, StaticKeySource, TokenVerifier


def make_email_sender(settings: AuthSettings) -> EmailSender:
    if settings.email_backend == "log":
        return LoggingEmailSender()
    password = settings.smtp_password
    return SmtpEmailSender(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.email_from,
        username=settings.smtp_username,
        password=password.get_secret_value() if password is not None else None,
        use_tls=settings.smtp_use_tls,
        timeout=settings.smtp_timeout_seconds,
    )


def auth_lifespan(settings: AuthSettings) -> Lifespan:
    """The database, and the erasure outbox worker beside the requests."""
    database = database_lifespan(settings.database_dsn)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if settings.auth_provider == "cognito" and getattr(app.state, "cognito", None) is None:
                app.state.cognito = await stack.enter_async_context(open_pool(settings))
            await stack.enter_async_context(database(app))
            client = await stack.enter_async_context(httpx.AsyncClient(timeout=5.0))
            try:
                if not settings.outbox_worker:
                    yield
                    return
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(
                        partial(
                            outbox.run,
                            app.state.sessionmaker,
                            client,
                            app.state.signing_key,
                            issuer=settings.jwt_issuer,
                            services=settings.erasure_services,
                            poll_seconds=settings.outbox_poll_seconds,
                            max_backoff_seconds=settings.outbox_max_backoff_seconds,
                        )
                    )
                    yield
                    tasks.cancel_scope.cancel()
            finally:
                if (throttle := app.state.login_throttle) is not None:
                    await throttle.aclose()

    return lifespan


def create_app(
    settings: AuthSettings | None = None,
    *,
    signing_key: SigningKey | None = None,
    key_set: KeySet | None = None,
    email_sender: EmailSender | None = None,
) -> FastAPI:
    """``signing_key`` (one key) or ``key_set`` replace the configured keys (tests).

    ``AUTH_PROVIDER=cognito``: users' tokens are Cognito's, verified against the pool's JWKS
    like every service's (the runtime's lifespan); auth's keys still sign service tokens."""
    settings = settings or AuthSettings()
    keys = key_set or (KeySet([signing_key]) if signing_key else load_key_set(settings))
    cognito = settings.auth_provider == "cognito"
    app = build_service_app(
        settings,
        name="auth",
        description="Users, login and RS256 access tokens. Public keys at `/api/auth/jwks.json`.",
        routers=[auth.router, users.router, internal.router]
        + ([cognito_routes.router] if cognito else []),
        readiness_checks={"database": database_ready},
        lifespan=auth_lifespan(settings),
        # auth verifies its own tokens against its own key set: no HTTP round trip to itself.
        token_verifier=None
        if cognito
        else TokenVerifier(
            StaticKeySource(keys.jwks()), issuer=settings.jwt_issuer, audience=settings.jwt_audience
        ),
    )
    app.state.key_set = keys
    app.state.signing_key = keys.signing
    app.state.password_hash = PasswordHasher(
        settings.argon2_time_cost,
        settings.argon2_memory_kib,
        settings.password_hash_concurrency,
        parallelism=settings.argon2_parallelism,
        nice=settings.password_hash_nice,
    )
    app.state.login_slots = anyio.CapacityLimiter(settings.login_concurrency)
    limit = settings.login_failure_limit
    app.state.login_throttle = (
        None if limit == "off" else LoginThrottle(limit, settings.rate_limit_storage_url)
    )
    app.state.email_sender = email_sender or make_email_sender(settings)
    app.state.jobs = DetachedJobs()
    return app


def openapi_app() -> FastAPI:
    """The app as documented in ``contracts/`` (no I/O happens to build it)."""
    return create_app(AuthSettings(environment="test"), signing_key=SigningKey.generate(bits=1024))
