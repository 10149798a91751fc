"""Preferences settings (environment variables; see the README's table)."""

from pydantic import Field

from inkwell_runtime.settings import ServiceSettings

DEV_MONGO_URL = "mongodb://127.0.0.1:27017/?directConnection=true"


class PreferencesSettings(ServiceSettings):
    mongo_url: str = DEV_MONGO_URL
    """A MongoDB connection string. The default (local, no credentials) is refused in production."""
    mongo_database: str = Field(default="inkwell", min_length=1)
    mongo_server_selection_timeout_ms: int = Field(default=2000, gt=0)
    """How long a request waits for a reachable MongoDB before answering 503."""

    def insecure_defaults(self) -> list[str]:
        return ["mongo_url"] if self.mongo_url == DEV_MONGO_URL else []
