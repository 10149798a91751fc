"""Run a service's migrations: ``python -m inkwell_runtime.migrate auth_service [DATABASE_URL]``.

Creates the database when it is missing, then upgrades it to head. Used by ``make dev`` and
by the compose ``migrate`` step before the services start.
"""

import asyncio
import os
import sys

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(package: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if missing; True when it was created."""
    target = make_url(url)
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
            )
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{target.database}"'))
                return True
    finally:
        await admin.dispose()
    return False


def upgrade(package: str, url: str) -> None:
    if asyncio.run(ensure_database(url)):
        print(f"created database {make_url(url).database}", flush=True)
    command.upgrade(alembic_config(package, url), "head")
    print(f"{package}: migrations at head on {make_url(url).database}", flush=True)


def main(argv: list[str]) -> int:
    if not argv:
        print(
            "usage: python -m inkwell_runtime.migrate <service_package> [DATABASE_URL]",
            file=sys.stderr,
        )
        return 2
    url = argv[1] if len(argv) > 1 else os.environ.get("DATABASE_URL")
    if not url:
        print("DATABASE_URL is not set and no URL was given", file=sys.stderr)
        return 2
    upgrade(argv[0], url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
