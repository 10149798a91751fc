"""Settings from the environment, and the edge behaviour they switch (CORS)."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient
from pydantic import ValidationError

from gateway.core.config import GatewaySettings

from .conftest import Services, running

pytestmark = pytest.mark.anyio


ENV = (
    "AUTH_URL",
    "CONTENT_URL",
    "PREFERENCES_URL",
    "MEDIA_URL",
    "WEATHER_URL",
    "GATEWAY_TIMEOUT_SECONDS",
    "GATEWAY_MAX_BODY_BYTES",
    "LOGIN_RATE_LIMIT",
    "CORS_ORIGINS",
)


def test_defaults_point_at_the_local_services(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)

    settings = GatewaySettings()

    assert settings.service_urls() == {
        "auth": "http://127.0.0.1:8001",
        "content": "http://127.0.0.1:8002",
        "preferences": "http://127.0.0.1:8003",
        "media": "http://127.0.0.1:8004",
        "weather": "http://127.0.0.1:8005",
    }
    assert settings.gateway_timeout_seconds == 10
    assert settings.gateway_max_body_bytes == 20 * 1024 * 1024
    assert settings.login_rate_limit == "10/minute"
    assert settings.cors_origins == []


def test_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_URL", "http://auth:8001/")
    monkeypatch.setenv("GATEWAY_TIMEOUT_SECONDS", "12.5")
    monkeypatch.setenv("GATEWAY_MAX_BODY_BYTES", "1024")
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "OFF")
    monkeypatch.setenv("CORS_ORIGINS", "http://localhost:5173, https://inkwell.example")

    settings = GatewaySettings()

    assert settings.service_urls()["auth"] == "http://auth:8001"
    assert settings.gateway_timeout_seconds == 12.5
    assert settings.gateway_max_body_bytes == 1024
    assert settings.login_rate_limit == "off"
    assert settings.cors_origins == ["http://localhost:5173", "https://inkwell.example"]


def test_cors_origins_also_read_as_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", '["http://localhost:5173"]')

    assert GatewaySettings().cors_origins == ["http://localhost:5173"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("login_rate_limit", "lots", "must be like '10/minute'"),
        ("content_url", "content:8002", "must be an http:// or https:// URL"),
        ("gateway_timeout_seconds", 0, "greater than 0"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(
    field: str, value: object, message: str
) -> None:
    given: dict[str, Any] = {field: value}
    with pytest.raises(ValidationError, match=message):
        GatewaySettings(**given)


@pytest.fixture
async def cors_client(settings: GatewaySettings) -> AsyncIterator[AsyncClient]:
    async with running(settings.model_copy(update={"cors_origins": ["https://app.example"]})) as c:
        yield c


async def test_cors_allows_the_configured_origins_and_exposes_the_request_id(
    cors_client: AsyncClient, services: Services
) -> None:
    posts = services["content"].on("GET", "/api/posts", json=[])

    preflight = await cors_client.options(
        "/api/posts",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    actual = await cors_client.get("/api/posts", headers={"Origin": "https://app.example"})

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert actual.headers["access-control-allow-origin"] == "https://app.example"
    assert "x-request-id" in actual.headers["access-control-expose-headers"].lower()
    assert len(posts.calls) == 1  # the preflight is the gateway's own answer


async def test_cors_refuses_other_origins(cors_client: AsyncClient) -> None:
    preflight = await cors_client.options(
        "/api/posts",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )

    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
