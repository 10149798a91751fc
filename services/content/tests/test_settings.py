import pytest
from pydantic import ValidationError

from content_service.core.config import ContentSettings
from content_service.main import create_app


def test_production_refuses_the_development_database_url() -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        ContentSettings(environment="production")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://content:s3cret@db:5432/content")
    monkeypatch.setenv("AUTH_JWKS_URL", "http://auth:8001/api/auth/jwks.json")

    app = create_app()

    assert app.state.settings.database_url.endswith("@db:5432/content")
    assert app.state.settings.auth_jwks_url == "http://auth:8001/api/auth/jwks.json"
    assert app.state.token_verifier is None  # built by the lifespan, over AUTH_JWKS_URL
