"""conftest.py of a mutation work directory (copied there by quality/mutation/run.py).

The shared fixtures of the root conftest, plus a database per pytest session: mutmut runs one
session per mutant, several at once, and the suites drop and re-create their tables when a
session starts, so each session gets ``inkwell_mut<pid>_<suite>`` and drops it at the end.
"""

import asyncio
import os

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from inkwell_testing.plugin import anyio_backend, signer

__all__ = ["anyio_backend", "signer"]

DB_PREFIX = "inkwell_mut"
_BASE = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/inkwell_test"
)


def _own_prefix() -> str:
    return f"{DB_PREFIX}{os.getpid()}"


def pytest_sessionstart(session: pytest.Session) -> None:
    url = make_url(_BASE).set(database=_own_prefix())
    os.environ["TEST_DATABASE_URL"] = url.render_as_string(hide_password=False)


async def drop_databases(pattern: str) -> None:
    """Drop every database whose name is LIKE ``pattern`` (connections are terminated)."""
    admin = create_async_engine(
        make_url(_BASE).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        async with admin.connect() as conn:
            names = list(
                await conn.scalars(
                    text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": pattern}
                )
            )
            for name in names:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    asyncio.run(drop_databases(_own_prefix() + r"\_%"))
