"""Content settings (environment variables; see the README's table)."""

from inkwell_runtime.db import DatabaseSettings

DEV_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/inkwell_content"


class ContentSettings(DatabaseSettings):
    database_url: str = DEV_DATABASE_URL

    def insecure_defaults(self) -> list[str]:
        return ["database_url"] if self.database_url == DEV_DATABASE_URL else []
