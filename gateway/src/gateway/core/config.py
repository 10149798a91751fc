"""Gateway settings (environment variables; see the README's table)."""

import json
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from limits import parse
from pydantic import AfterValidator, Field, create_model, field_validator
from pydantic_settings import NoDecode

from contracts.registry import Registry, current
from inkwell_runtime.guard import GuardLimits
from inkwell_runtime.settings import ServiceSettings, redis_url

MIB = 1024 * 1024


def _http_base_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value.rstrip("/")


HttpBaseUrl = Annotated[str, AfterValidator(_http_base_url)]


class GatewayBaseSettings(ServiceSettings):
    """The gateway's own settings; :func:`settings_class` adds one ``<service>_url`` per
    service of the registry (``AUTH_URL``, ``CONTENT_URL``, ...)."""

    registry: ClassVar[Registry] = current()
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
    gateway_balance: bool = False
    """Spread requests over every address of a service's name, round robin (balancing.py)."""
    gateway_resolve_seconds: float = Field(default=5.0, ge=0)
    """How long a service name's addresses are reused before it is resolved again."""
    gateway_address_cooldown_seconds: float = Field(default=10.0, ge=0)
    """How long an address that took no connection (or said it is closing) is skipped."""
    gateway_connect_timeout_seconds: float = Field(default=1.0, gt=0)
    """A service must accept a connection within this (capped by ``GATEWAY_TIMEOUT_SECONDS``):
    a stopped container's address answers nothing, and waiting the full timeout made its
    routes slow; balanced, the request then goes to the next address."""
    rate_limit_storage_url: str | None = None
    """Where the login limit counts: ``redis://host:6379/0`` (or ``rediss://``) shares it
    between every gateway; unset, each gateway counts in its own memory."""
    cors_origins: Annotated[list[str], NoDecode] = []
    """Origins allowed by CORS: a JSON list or a comma-separated string. Empty: no CORS."""

    def guard_limits(self) -> GuardLimits | None:
        """None: the gateway streams bodies through untouched; each service guards its own."""
        return None

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

    @field_validator("rate_limit_storage_url")
    @classmethod
    def _rate_limit_storage(cls, value: str | None) -> str | None:
        return redis_url(value)

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
        return {service.name: getattr(self, service.url_setting) for service in self.registry}


def settings_class(registry: Registry) -> type[GatewayBaseSettings]:
    """The gateway's settings for ``registry``: each service's URL defaults to its local port."""
    fields: dict[str, Any] = {
        service.url_setting: (HttpBaseUrl, service.local_url()) for service in registry
    }
    cls = create_model("GatewaySettings", __base__=GatewayBaseSettings, **fields)
    cls.registry = registry
    return cls


if TYPE_CHECKING:
    GatewaySettings = GatewayBaseSettings
else:
    GatewaySettings = settings_class(current())
