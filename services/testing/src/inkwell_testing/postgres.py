"""PostgreSQL for tests: a real server, one database per suite, each test rolled back.

The database comes from ``TEST_DATABASE_URL`` (its server and database name, suffixed with
the suite's name, e.g. ``inkwell_test`` → ``inkwell_test_auth``); unset, the local server on
127.0.0.1:5432. If no server answers and a Docker engine does, testcontainers starts one.
Never SQLite: the tests must see PostgreSQL's real behaviour (constraints, types, locking).
"""

import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import MetaData, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from inkwell_runtime.db import get_db_session, get_reader

DEFAULT_TEST_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/inkwell_test"
_container_url: str | None = None


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env().ping()
    except Exception:
        return False
    return True


def _start_container() -> str:
    global _container_url
    if _container_url is None:
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:17-alpine", driver="asyncpg")
        container.start()
        import atexit

        atexit.register(container.stop)
        _container_url = container.get_connection_url()
    return _container_url


async def _reachable(url: str) -> bool:
    engine = create_async_engine(make_url(url).set(database="postgres"))
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return False
    finally:
        await engine.dispose()
    return True


async def suite_database_url(suite: str) -> str:
    """The URL of this suite's test database, created when missing."""
    base = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    if not await _reachable(base):
        if "TEST_DATABASE_URL" not in os.environ and _docker_available():
            base = _start_container()
        else:
            pytest.exit(
                "PostgreSQL is not reachable at "
                f"{make_url(base).render_as_string(hide_password=True)}. Start one (here: "
                "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start), "
                "point TEST_DATABASE_URL at a server you can create databases on, "
                "or run a Docker engine so testcontainers can start one.",
                returncode=3,
            )
    url = make_url(base)
    name = f"{url.database}_{suite}"
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@asynccontextmanager
async def schema_engine(suite: str, metadata: MetaData) -> AsyncIterator[AsyncEngine]:
    """A session-wide engine on a fresh schema built from the models.

    The whole ``public`` schema is dropped first, not only the models' tables: whatever an older
    checkout, another branch or a migration test left there (a table holding a foreign key to
    ``users``, ``alembic_version``) must not make the drop fail or the schema differ."""
    engine = create_async_engine(await suite_database_url(suite))
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
        await conn.run_sync(metadata.create_all)
    try:
        yield engine
    finally:
        await engine.dispose()


@asynccontextmanager
async def rollback_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside an outer transaction that is always rolled back.

    ``join_transaction_mode="create_savepoint"`` turns the code's own ``commit()`` and
    ``rollback()`` into savepoint operations, so the code under test behaves as in production
    while nothing it writes outlives the test.
    """
    async with engine.connect() as conn:
        outer = await conn.begin()
        session = AsyncSession(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await outer.rollback()


@contextmanager
def serving_session(
    app: FastAPI, dependency: Callable[..., Any], session: AsyncSession
) -> Iterator[FastAPI]:
    """``app`` (built once per suite) answering ``dependency`` with this test's ``session``;
    every override, the test's own included, is removed when the test ends. Overriding
    ``get_db_session`` overrides ``get_reader`` too (reads see the test's rows)."""
    app.dependency_overrides[dependency] = lambda: session
    if dependency is get_db_session:
        app.dependency_overrides[get_reader] = lambda: session
    try:
        yield app
    finally:
        app.dependency_overrides.clear()


async def truncate_all(engine: AsyncEngine, metadata: MetaData) -> None:
    """Empty every table, for tests that need real commits (concurrency across connections)."""
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    if names:
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {names} CASCADE"))


def postgres_fixtures(suite: str, metadata: MetaData) -> tuple[Any, Any]:
    """The two fixtures a suite on PostgreSQL needs, shared rather than copied:

    ``engine`` (session scope: the suite's database, schema built once from the models) and
    ``db_session`` (one rolled-back transaction per test). In a conftest::

        engine, db_session = postgres_fixtures("auth", Base.metadata)
    """

    @pytest.fixture(scope="session")
    async def engine() -> AsyncIterator[AsyncEngine]:
        async with schema_engine(suite, metadata) as engine:
            yield engine

    @pytest.fixture
    async def db_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
        async with rollback_session(engine) as session:
            yield session

    return engine, db_session
