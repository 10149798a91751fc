"""The auth app factory: ``python -m inkwell_runtime.serve auth_service.main:create_app``."""

from fastapi import FastAPI

from auth_service.api.routes import auth, users
from auth_service.core.config import AuthSettings
from auth_service.email import EmailSender, LoggingEmailSender
from auth_service.keys import KeySet, load_key_set
from auth_service.passwords import make_password_hash
from inkwell_runtime.app import build_service_app
from inkwell_runtime.db import database_lifespan, database_ready
from inkwell_runtime.jwt import SigningKey, StaticKeySource, TokenVerifier


def create_app(
    settings: AuthSettings | None = None,
    *,
    signing_key: SigningKey | None = None,
    key_set: KeySet | None = None,
    email_sender: EmailSender | None = None,
) -> FastAPI:
    """``signing_key`` (one key) or ``key_set`` replace the configured keys (tests)."""
    settings = settings or AuthSettings()
    keys = key_set or (KeySet([signing_key]) if signing_key else load_key_set(settings))
    app = build_service_app(
        settings,
        name="auth",
        description="Users, login and RS256 access tokens. Public keys at `/api/auth/jwks.json`.",
        routers=[auth.router, users.router],
        readiness_checks={"database": database_ready},
        lifespan=database_lifespan(settings.database_url),
        # auth verifies its own tokens against its own key set: no HTTP round trip to itself.
        token_verifier=TokenVerifier(
            StaticKeySource(keys.jwks()), issuer=settings.jwt_issuer, audience=settings.jwt_audience
        ),
    )
    app.state.key_set = keys
    app.state.signing_key = keys.signing
    app.state.password_hash = make_password_hash(
        settings.argon2_time_cost, settings.argon2_memory_kib
    )
    app.state.email_sender = email_sender or LoggingEmailSender()
    return app


def openapi_app() -> FastAPI:
    """The app as documented in ``contracts/`` (no I/O happens to build it)."""
    return create_app(AuthSettings(environment="test"), signing_key=SigningKey.generate(bits=1024))
