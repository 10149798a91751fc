"""Gateway settings (environment variables; see the README's table)."""

import json
from typing import Annotated, Any

from limits import parse
from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from inkwell_runtime.guard import GuardLimits
from inkwell_runtime.settings import ServiceSettings

MIB = 1024 * 1024


class GatewaySettings(ServiceSettings):
    auth_url: str = "http://127.0.0.1:8001"
    content_url: str = "http://127.0.0.1:8002"
    preferences_url: str = "http://127.0.0.1:8003"
    media_url: str = "http://127.0.0.1:8004"
    weather_url: str = "http://127.0.0.1:8005"
    gateway_timeout_seconds: float = Field(default=10.0, gt=0)
    """How long getting a connection to a service may take (else 503) and how long it may stay
    silent while answering (else 504).

    Keep it above every service's own upstream timeout (weather's ``WEATHER_TIMEOUT_SECONDS``),
    so a service can still answer its own clear error first."""
    gateway_max_body_bytes: int = Field(default=20 * MIB, gt=0)
    gateway_max_connections: int = Field(default=512, gt=0)
    """Upper bound of pooled connections to all services together."""
    gateway_max_header_bytes: int = Field(default=32 * 1024, gt=0)
    """Request line plus headers, per request (431 past it; ``gateway.edge``)."""
    gateway_header_timeout_seconds: float = Field(default=10.0, gt=0)
    """A connection's (next) request head must arrive within this (408; ``gateway.edge``)."""
    gateway_body_timeout_seconds: float = Field(default=60.0, gt=0)
    """A request body must arrive within this after its head (408; ``gateway.edge``)."""
    gateway_keepalive_seconds: float = Field(default=5.0, gt=0)
    """An idle client connection is closed after this (``gateway.edge``)."""
    gateway_public_base_url: str | None = None
    """Where clients reach the gateway (``https://blog.example``): a service's redirect is
    rewritten to it. Unset: the scheme and ``Host`` of each request."""
    login_rate_limit: str = "10/minute"
    """Per client, on ``/api/auth/token`` and ``/api/auth/login`` together; ``off`` disables."""
    cors_origins: Annotated[list[str], NoDecode] = []
    """Origins allowed by CORS: a JSON list or a comma-separated string. Empty: no CORS."""

    def guard_limits(self) -> GuardLimits | None:
        """None: the gateway streams bodies through untouched; each service guards its own."""
        return None

    @field_validator("auth_url", "content_url", "preferences_url", "media_url", "weather_url")
    @classmethod
    def _http_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("login_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        value = value.strip()
        if value.lower() == "off":
            return "off"
        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(
                f"must be like '10/minute' or '5 per 30 seconds', or 'off'; got {value!r}"
            ) from exc
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [origin.strip() for origin in text.split(",") if origin.strip()]
        return value

    def service_urls(self) -> dict[str, str]:
        """Service name → base URL, for every service the gateway routes to."""
        return {
            "auth": self.auth_url,
            "content": self.content_url,
            "preferences": self.preferences_url,
            "media": self.media_url,
            "weather": self.weather_url,
        }
