"""Auth settings (environment variables; see the README's table)."""

from typing import Literal

from limits import parse
from pydantic import Field, SecretStr, field_validator

from inkwell_runtime.settings import ServiceSettings

DEV_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/inkwell_auth"


class AuthSettings(ServiceSettings):
    database_url: str = DEV_DATABASE_URL
    jwt_private_key: SecretStr | None = None
    """PEM of the RSA signing key. Unset in development/test: an ephemeral key per process."""
    jwt_key_id: str | None = None
    access_token_expire_minutes: int = Field(default=15, gt=0)
    refresh_token_expire_days: int = Field(default=14, gt=0)
    reset_token_expire_minutes: int = Field(default=30, gt=0)
    public_base_url: str = "http://127.0.0.1:8000"
    """Where users reach Inkwell (the gateway); reset links point at ``{this}/reset-password``."""
    bootstrap_admin_emails: list[str] = []
    """Accounts registered with these emails get the ``admin`` role."""
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    login_failure_limit: str = "10/15minutes"
    """Failed logins allowed per account (``limits`` notation), then 429; ``off`` disables."""
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

    password_hash_concurrency: int = Field(default=2, ge=1)
    """Argon2 operations running at once (worker threads); more wait in line for one."""

    @property
    def password_reset_url(self) -> str:
        return f"{self.public_base_url.rstrip('/')}/reset-password"

    @field_validator("login_failure_limit")
    @classmethod
    def _parseable(cls, value: str) -> str:
        if value != "off":
            parse(value)
        return value

    def insecure_defaults(self) -> list[str]:
        insecure = []
        if self.jwt_private_key is None:
            insecure.append("jwt_private_key")
        if self.database_url == DEV_DATABASE_URL:
            insecure.append("database_url")
        if self.email_backend == "log":
            insecure.append("email_backend")
        return insecure
