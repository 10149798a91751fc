"""`alembic upgrade head` on an empty database gives exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from auth_service.models import Base
from inkwell_runtime.migrate import alembic_config
from alembic import command

pytestmark = pytest.mark.anyio


async def test_upgrade_head_matches_the_models(engine: AsyncEngine) -> None:
    url = engine.url.set(database=f"{engine.url.database}_migrations")
    admin = create_async_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    target = create_async_engine(url)
    try:
        async with target.connect() as conn:
            config = alembic_config("auth_service", url.render_as_string(hide_password=False))

            def upgrade(sync_conn):  # type: ignore[no-untyped-def]
                config.attributes["connection"] = sync_conn
                command.upgrade(config, "head")
                return compare_metadata(MigrationContext.configure(sync_conn), Base.metadata)

            diff = await conn.run_sync(upgrade)
            await conn.commit()
            tables = set(
                (await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public'"))).scalars()
            )
    finally:
        await target.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        await admin.dispose()

    assert diff == []
    assert tables == {"alembic_version", "users", "password_reset_tokens"}
    assert make_url(str(url)).database.endswith("_migrations")
