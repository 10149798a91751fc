"""Run a service's migrations: ``python -m inkwell_runtime.migrate auth_service [DATABASE_URL]``.

The URL's password may come apart from it, as for the services: ``DATABASE_PASSWORD`` or
``DATABASE_PASSWORD_FILE`` (``inkwell_runtime.db.DatabaseSettings``).

Creates the database when it is missing, then upgrades it to head. Used by ``make dev`` and
by the compose ``migrate`` step before the services start.

``--wait`` upgrades nothing: it waits until the database is at the head this code knows (the
Kubernetes pods' init container, while the migration Job runs), and fails after
``MIGRATE_WAIT_SECONDS`` (300).
"""

import asyncio
import os
import sys
import time

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from inkwell_runtime.db import DatabaseSettings, with_password


class MigrateSettings(DatabaseSettings):
    database_url: str = ""


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


async def at_head(package: str, url: str) -> bool:
    """True when the database's revision is the head of ``package``'s migrations."""
    heads = set(ScriptDirectory.from_config(alembic_config(package, url)).get_heads())

    def current(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(current) == heads
    except (OSError, SQLAlchemyError):
        return False  # not there yet: no server, no database
    finally:
        await engine.dispose()


async def wait_for_head(package: str, url: str, seconds: float, interval: float = 2.0) -> bool:
    """True once the database is at head; False when ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while not await at_head(package, url):
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(interval)
    return True


def main(argv: list[str]) -> int:
    wait = "--wait" in argv
    argv = [arg for arg in argv if arg != "--wait"]
    if not argv:
        print(
            "usage: python -m inkwell_runtime.migrate [--wait] <service_package> [DATABASE_URL]",
            file=sys.stderr,
        )
        return 2
    settings = MigrateSettings()  # DATABASE_URL, DATABASE_PASSWORD or DATABASE_PASSWORD_FILE
    url = argv[1] if len(argv) > 1 else settings.database_url
    if not url:
        print("DATABASE_URL is not set and no URL was given", file=sys.stderr)
        return 2
    url = with_password(url, settings.database_password)
    if wait:
        timeout = float(os.environ.get("MIGRATE_WAIT_SECONDS", "300"))
        if not asyncio.run(wait_for_head(argv[0], url, timeout)):
            print(f"{argv[0]}: the database is not at head after {timeout:g} s", file=sys.stderr)
            return 1
        print(f"{argv[0]}: the database is at head", flush=True)
        return 0
    upgrade(argv[0], url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
