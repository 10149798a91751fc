"""Settings every service shares, read from the environment with pydantic-settings."""

from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from inkwell_runtime.guard import GuardLimits

MIB = 1024 * 1024


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class ServiceSettings(BaseSettings):
    """Base settings; each service subclasses it and adds its own fields.

    Subclasses list the settings still holding a development default in
    :meth:`insecure_defaults`; in production the service refuses to start with any of them.
    """

    model_config = SettingsConfigDict(extra="ignore", env_file=None)

    environment: Environment = Environment.development
    log_level: str = "INFO"
    log_json: bool = True
    jwt_issuer: str = "inkwell-auth"
    jwt_audience: str = "inkwell"
    auth_jwks_url: str = "http://127.0.0.1:8001/api/auth/jwks.json"
    jwks_cache_seconds: float = Field(default=300.0, ge=0)
    jwks_min_refresh_seconds: float = Field(default=5.0, ge=0)
    """An unknown ``kid`` refreshes the JWKS at most this often (a key rotation is picked up)."""
    auth_revocations_url: str | None = None
    """Auth's revocation feed (``inkwell_runtime.revocations``); unset: tokens hold until expiry."""
    revocations_poll_seconds: float = Field(default=2.0, gt=0)
    readiness_timeout_seconds: float = Field(default=2.0, gt=0)
    shutdown_drain_seconds: float = Field(default=0.0, ge=0)
    """After SIGTERM, ``/readyz`` answers 503 and the listener stays open this long (so load
    balancers and the gateway stop sending here) before in-flight requests finish and the process
    exits (``inkwell_runtime.drain``); compose and Kubernetes set it."""
    shutdown_timeout_seconds: int = Field(default=20, gt=0)
    """After the listener closes, in-flight requests get this long to finish."""
    max_body_bytes: int = Field(default=1 * MIB, gt=0)
    """The largest request body the service reads (413 past it, counted while reading)."""
    max_json_depth: int = Field(default=32, ge=1)
    """Arrays and objects nested deeper than this are refused (422) before any handler runs."""

    def guard_limits(self) -> GuardLimits | None:
        """What the request guard (``inkwell_runtime.guard``) enforces; None: no guard."""
        return GuardLimits(self.max_body_bytes, self.max_json_depth)

    docs_token_url: str = "http://127.0.0.1:8000/api/auth/token"  # noqa: S105 (a URL)
    """Where the service's own ``/docs`` Authorize asks for a token (``inkwell_runtime.docs``)."""

    def insecure_defaults(self) -> list[str]:
        """Names of settings that still hold a development-only default."""
        return []

    @model_validator(mode="after")
    def _refuse_dev_defaults_in_production(self) -> Self:
        if self.environment is Environment.production:
            insecure = self.insecure_defaults()
            if insecure:
                names = ", ".join(name.upper() for name in insecure)
                raise ValueError(
                    f"refusing to start in production with development defaults for: {names}; "
                    "set them explicitly"
                )
        return self
