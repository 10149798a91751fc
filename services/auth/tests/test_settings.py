import pytest
from pydantic import ValidationError

from auth_service.core.config import AuthSettings
from auth_service.main import create_app
from inkwell_runtime.jwt import SigningKey


def test_production_refuses_the_development_defaults() -> None:
    with pytest.raises(ValidationError, match="JWT_PRIVATE_KEY, DATABASE_URL, EMAIL_BACKEND"):
        AuthSettings(environment="production")


def test_production_starts_with_a_configured_key(monkeypatch: pytest.MonkeyPatch) -> None:
    key = SigningKey.generate()
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("JWT_PRIVATE_KEY", key.private_pem)
    monkeypatch.setenv("JWT_KEY_ID", "2026-11")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://auth:s3cret@db:5432/auth")
    monkeypatch.setenv("EMAIL_BACKEND", "smtp")

    app = create_app()

    assert app.state.signing_key.kid == "2026-11"
    assert app.state.signing_key.public_jwk["n"] == key.public_jwk["n"]


def test_development_without_a_key_generates_an_ephemeral_one() -> None:
    first = create_app(AuthSettings(environment="development"))
    second = create_app(AuthSettings(environment="development"))

    assert first.state.signing_key.kid != second.state.signing_key.kid
