"""Auth settings (environment variables; see the README's table)."""

from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator

from inkwell_runtime.settings import ServiceSettings

DEV_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/inkwell_auth"


class AuthSettings(ServiceSettings):
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
    access_token_expire_minutes: int = Field(default=30, gt=0)
    reset_token_expire_minutes: int = Field(default=30, gt=0)
    password_reset_url: str = "http://127.0.0.1:8000/reset-password"  # noqa: S105
    bootstrap_admin_emails: list[str] = []
    """Accounts registered with these emails get the ``admin`` role."""
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)

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
        if self.database_url == DEV_DATABASE_URL:
            insecure.append("database_url")
        return insecure
