"""Auth settings (environment variables; see the README's table)."""

from pathlib import Path
from typing import Literal, Self

from limits import parse
from pydantic import Field, SecretStr, field_validator, model_validator

from inkwell_runtime.db import DatabaseSettings
from inkwell_runtime.settings import DEV_ONLY_MARKER, redis_url

DEV_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/inkwell_auth"


class AuthSettings(DatabaseSettings):
    database_url: str = DEV_DATABASE_URL
    jwt_private_key: SecretStr | None = None
    """PEM of one RSA signing key. With no key at all (development/test only): an ephemeral
    key per process."""
    jwt_key_id: str | None = None
    """``JWT_PRIVATE_KEY``'s key id (default: its RFC 7638 thumbprint)."""
    jwt_keys_dir: Path | None = None
    """A directory of ``<kid>.pem`` private keys (a mounted Secret): all published in JWKS."""
    jwt_signing_kid: str | None = None
    """The key that signs new tokens; required when the key set has several."""
    expected_replicas: int = Field(default=1, ge=1)
    """How many auth processes serve together: above 1, an ephemeral key is refused (each
    replica would sign with its own key, and the others' tokens would not verify)."""
    access_token_expire_minutes: int = Field(default=15, gt=0)
    refresh_token_expire_days: int = Field(default=14, gt=0)
    reset_token_expire_minutes: int = Field(default=30, gt=0)
    public_base_url: str = "http://127.0.0.1:8000"
    """Where users reach Inkwell (the gateway); reset links point at ``{this}/reset-password``."""
    bootstrap_admin_emails: list[str] = []
    """Accounts registered with these emails get the ``admin`` role."""
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    """Lanes (and native threads) of each new hash; existing hashes verify with their own."""
    login_failure_limit: str = "10/15minutes"
    """Failed logins allowed per account (``limits`` notation), then 429; ``off`` disables."""
    rate_limit_storage_url: str | None = None
    """Where failed logins are counted: ``redis://host:6379/0`` (or ``rediss://``, the gateways'
    Redis) shares the count between every auth replica; unset, each counts in its own memory."""
    email_backend: Literal["log", "smtp"] = "log"
    """``log`` writes emails (reset tokens included) to the log: refused in production."""
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, gt=0, lt=65536)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_use_tls: bool = False
    """Implicit TLS (port 465 usually); otherwise STARTTLS when the server offers it."""
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    email_from: str = "Inkwell <no-reply@inkwell.invalid>"
    content_url: str = "http://127.0.0.1:8002"
    preferences_url: str = "http://127.0.0.1:8003"
    media_url: str = "http://127.0.0.1:8004"
    """Where a deleted account's data is erased (``DELETE /internal/users/{id}``)."""
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_max_backoff_seconds: float = Field(default=5.0, gt=0)
    outbox_worker: bool = True
    """Run the erasure outbox worker in this process (tests drive it themselves)."""

    @property
    def erasure_services(self) -> dict[str, str]:
        return {
            "content": self.content_url,
            "preferences": self.preferences_url,
            "media": self.media_url,
        }

    cognito_endpoint_url: str | None = None
    """Cognito's API (``AUTH_PROVIDER=cognito``); unset: AWS's own for ``COGNITO_REGION``.
    ``make dev --cognito`` points it at moto's server."""
    cognito_client_secret: SecretStr | None = None
    """The app client's secret, if it has one: every call then carries its ``SECRET_HASH``."""
    cognito_confirm: Literal["admin", "code"] = "admin"
    """How a sign-up is confirmed: ``admin`` (``AdminConfirmSignUp`` at once, as the local
    provider, which verifies no email either) or ``code`` (Cognito mails a code, the user sends it
    to ``POST /api/auth/confirm``)."""
    cognito_admin_group: str = "admin"
    """The pool's group whose members get the ``admin`` role (``BOOTSTRAP_ADMIN_EMAILS`` join
    it at registration)."""
    cognito_revoke_tokens: bool = True
    """Logout and a replayed refresh token also call Cognito's ``RevokeToken`` (moto 5.2.5 does
    not implement it: ``make dev --cognito`` turns this off; Inkwell's session ends either way)."""
    password_hash_concurrency: int = Field(default=2, ge=1)
    """Argon2 operations running at once (worker threads); more wait in line for one."""
    login_concurrency: int = Field(default=4, ge=1)
    """Logins in progress at once (lookup, hash, session, token); more wait in line before
    doing anything, so a burst costs the event loop a few logins' work at a time, not all."""
    password_hash_nice: int = Field(default=10, ge=0, le=19)
    """How far below the event loop's CPU priority the hashing threads run (Linux ``nice``
    steps; 0: the same priority)."""

    @property
    def password_reset_url(self) -> str:
        return f"{self.public_base_url.rstrip('/')}/reset-password"

    @field_validator("rate_limit_storage_url")
    @classmethod
    def _storage(cls, value: str | None) -> str | None:
        return redis_url(value)

    @field_validator("login_failure_limit")
    @classmethod
    def _parseable(cls, value: str) -> str:
        if value != "off":
            parse(value)
        return value

    @property
    def has_keys(self) -> bool:
        """Whether keys are configured (else each process makes an ephemeral one)."""
        return self.jwt_private_key is not None or self.jwt_keys_dir is not None

    @model_validator(mode="after")
    def _one_key_set_for_replicas(self) -> Self:
        if self.expected_replicas > 1 and not self.has_keys:
            raise ValueError(
                f"EXPECTED_REPLICAS={self.expected_replicas} needs one key set shared by every "
                "replica: set JWT_KEYS_DIR (or JWT_PRIVATE_KEY); an ephemeral key is per process"
            )
        return self

    def insecure_defaults(self) -> list[str]:
        insecure = []
        if not self.has_keys:
            insecure.append("jwt_private_key")
        if self.jwt_keys_dir is not None and any(
            DEV_ONLY_MARKER in path.name for path in self.jwt_keys_dir.glob("*.pem")
        ):
            insecure.append("jwt_keys_dir")  # the committed key of deploy/secrets/dev/
        if self.database_url == DEV_DATABASE_URL:
            insecure.append("database_url")
        if self.email_backend == "log":
            insecure.append("email_backend")
        return insecure
