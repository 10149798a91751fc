"""The migration check every suite with a database runs: migrations and models must agree.

``await assert_migrations_match("auth_service", Base.metadata, engine)`` builds a scratch
database beside the suite's (``<name>_migrations``), runs ``alembic upgrade head`` on it, and
fails when autogenerate would still find a difference from the models (a forgotten migration),
or when ``downgrade base`` does not remove every table again.
"""

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from inkwell_runtime.migrate import alembic_config

_TABLES = text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")


async def assert_migrations_match(package: str, metadata: MetaData, engine: AsyncEngine) -> None:
    url = engine.url.set(database=f"{engine.url.database}_migrations")
    admin = create_async_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    drop = text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    async with admin.connect() as conn:
        await conn.execute(drop)
        await conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    target = create_async_engine(url)
    config = alembic_config(package, url.render_as_string(hide_password=False))

    def migrate(sync_conn: Connection) -> tuple[list[Any], set[str], set[str]]:
        config.attributes["connection"] = sync_conn
        command.upgrade(config, "head")
        diff = compare_metadata(MigrationContext.configure(sync_conn), metadata)
        at_head = set(sync_conn.execute(_TABLES).scalars())
        command.downgrade(config, "base")
        at_base = set(sync_conn.execute(_TABLES).scalars())
        return diff, at_head, at_base

    try:
        async with target.begin() as conn:
            diff, at_head, at_base = await conn.run_sync(migrate)
    finally:
        await target.dispose()
        async with admin.connect() as conn:
            await conn.execute(drop)
        await admin.dispose()

    assert diff == [], f"{package}: the models differ from `upgrade head` (add a migration): {diff}"
    assert at_head == {*metadata.tables, "alembic_version"}, f"{package}: tables at head: {at_head}"
    assert at_base == {"alembic_version"}, f"{package}: `downgrade base` left tables: {at_base}"
