"""Settings every service shares, read from the environment with pydantic-settings.

Where a setting comes from, first found wins:

1. the environment: ``NAME=value``;
2. a file named by ``NAME_FILE`` (a compose or Kubernetes secret: ``DATABASE_PASSWORD_FILE=
   /run/secrets/database_password``), its content without the trailing newline; setting both
   ``NAME`` and ``NAME_FILE`` is an error;
3. the field's default.

No ``.env`` is read here: a settings object built in a test never sees a developer's ``.env``.
A served process reads one (``python -m inkwell_runtime.serve --env-file``, default ``.env`` in
its working directory) into its environment before the app builds its settings.
"""

import os
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Self

from dotenv import dotenv_values
from pydantic import Field, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from inkwell_runtime.guard import GuardLimits

MIB = 1024 * 1024

DEV_ONLY_MARKER = "insecure-dev-only"
"""Committed development secrets (``deploy/secrets/dev/``) carry this in their value or key id:
a setting holding it is a development default, which production refuses."""


def load_env_file(path: Path) -> list[str]:
    """Put the variables of ``path`` (a ``.env``) that the environment does not set already
    into it (the environment wins); their names. A missing file adds nothing.

    ``make dev`` and ``python -m inkwell_runtime.serve`` call this as their process starts (the
    services they start inherit the result); settings objects never read a ``.env`` themselves.
    """
    if not path.is_file():
        return []
    values = {k: v for k, v in dotenv_values(path).items() if v is not None}
    added = [name for name in values if name not in os.environ]
    os.environ.update({name: values[name] for name in added})
    return added


class FileSecretsSource(PydanticBaseSettingsSource):
    """``NAME_FILE=<path>``: setting ``NAME`` is the file's content (trailing newline dropped)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        path = os.environ.get(f"{field_name.upper()}_FILE")
        return path, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            path, _, _ = self.get_field_value(field, name)
            if not path:
                continue
            env = name.upper()
            if env in os.environ:
                raise SettingsError(f"both {env} and {env}_FILE are set: set one of them")
            try:
                values[name] = Path(path).read_text(encoding="utf-8").removesuffix("\n")
            except OSError as exc:
                raise SettingsError(f"{env}_FILE={path}: {exc.strerror}") from exc
        return values


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class ServiceSettings(BaseSettings):
    """Base settings; each service subclasses it and adds its own fields.

    Subclasses list the settings still holding a development default in
    :meth:`insecure_defaults`; in production the service refuses to start with any of them.
    """

    # hide_input_in_errors: a refused setting is named, never echoed (it may be a secret)
    model_config = SettingsConfigDict(extra="ignore", env_file=None, hide_input_in_errors=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, FileSecretsSource(settings_cls))

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
    auth_provider: Literal["local", "cognito"] = "local"
    """Who issues users' access tokens: auth itself (``local``), or an Amazon Cognito user pool
    (``cognito``: every service verifies Cognito access tokens, see ``COGNITO_*``)."""
    cognito_region: str = "us-east-1"
    cognito_user_pool_id: str | None = None
    cognito_client_id: str | None = None
    """The app client whose access tokens are accepted (their ``client_id``)."""
    cognito_jwks_url: str | None = None
    """Default: ``https://cognito-idp.<region>.amazonaws.com/<pool id>/.well-known/jwks.json``
    (set it to reach a stand-in: moto serves the same path)."""
    cognito_issuer: str | None = None
    """Default: ``https://cognito-idp.<region>.amazonaws.com/<pool id>`` (what Cognito, and
    moto, put in ``iss``)."""
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

    @property
    def cognito_token_issuer(self) -> str:
        region, pool = self.cognito_region, self.cognito_user_pool_id
        return self.cognito_issuer or f"https://cognito-idp.{region}.amazonaws.com/{pool}"

    @property
    def cognito_keys_url(self) -> str:
        return self.cognito_jwks_url or f"{self.cognito_token_issuer}/.well-known/jwks.json"

    @model_validator(mode="after")
    def _cognito_needs_its_pool(self) -> Self:
        if self.auth_provider == "cognito":
            missing = [
                name
                for name in ("cognito_user_pool_id", "cognito_client_id")
                if not getattr(self, name)
            ]
            if missing:
                names = ", ".join(name.upper() for name in missing)
                raise ValueError(f"AUTH_PROVIDER=cognito needs {names}")
        return self

    def insecure_defaults(self) -> list[str]:
        """Names of settings that still hold a development-only default."""
        return []

    def dev_only_values(self) -> list[str]:
        """Settings holding a committed development secret (their value has the marker)."""
        found = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            if isinstance(value, str) and DEV_ONLY_MARKER in value:
                found.append(name)
        return found

    @model_validator(mode="after")
    def _refuse_dev_defaults_in_production(self) -> Self:
        if self.environment is Environment.production:
            insecure = list(dict.fromkeys(self.insecure_defaults() + self.dev_only_values()))
            if insecure:
                names = ", ".join(name.upper() for name in insecure)
                raise ValueError(
                    f"refusing to start in production with development defaults for: {names}; "
                    "set them explicitly"
                )
        return self


def redis_url(value: str | None) -> str | None:
    """A settings validator's body for a Redis URL (a shared store or cache): blank is none;
    anything but ``redis://`` or ``rediss://`` is refused. Here, not beside its users, so that a
    service validates one without importing what they need (``limits``)."""
    if value is None or not value.strip():
        return None
    if not value.strip().startswith(("redis://", "rediss://")):
        raise ValueError(f"must be a redis:// or rediss:// URL; got {value!r}")
    return value.strip()
