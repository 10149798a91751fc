"""The database lifespan, per-request sessions and the readiness check, on a real server."""

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from inkwell_runtime.db import (
    DbSession,
    ReadDb,
    attach_engine,
    database_lifespan,
    database_ready,
    make_engine,
)
from inkwell_runtime.health import readiness_router
from inkwell_testing.apps import served
from inkwell_testing.postgres import suite_database_url

pytestmark = pytest.mark.anyio


def make_app(url: str) -> FastAPI:
    app = FastAPI(lifespan=database_lifespan(url))
    app.include_router(readiness_router({"database": database_ready}, timeout=2))

    @app.get("/answer")
    async def answer(session: DbSession) -> dict[str, int]:
        return {"answer": await session.scalar(text("SELECT 42"))}

    return app


@pytest.mark.parametrize(
    ("reachable", "status"), [(True, 200), (False, 503)], ids=["database up", "database down"]
)
async def test_lifespan_sessions_and_readiness(reachable: bool, status: int) -> None:
    url = (
        await suite_database_url("runtime")
        if reachable
        else "postgresql+asyncpg://postgres@127.0.0.1:1/none"
    )
    app = make_app(url)

    async with served(app) as client:
        ready = await client.get("/readyz")
        if reachable:
            assert (await client.get("/answer")).json() == {"answer": 42}

    assert ready.status_code == status
    assert not hasattr(app.state, "engine") or app.state.engine.pool.checkedout() == 0


def session_app(url: str) -> FastAPI:
    """Two statements per request, each asking for its transaction's id."""
    app = FastAPI(lifespan=database_lifespan(url))
    xid = text("SELECT pg_current_xact_id()::text")

    @app.get("/write-session")
    async def write_session(session: DbSession) -> dict[str, bool]:
        first = await session.scalar(xid)
        return {"one_transaction": first == await session.scalar(xid)}

    @app.get("/read-session")
    async def read_session(session: ReadDb) -> dict[str, bool]:
        first = await session.scalar(xid)
        return {"one_transaction": first == await session.scalar(xid)}

    return app


async def test_a_read_session_runs_each_statement_on_its_own() -> None:
    """No BEGIN/ROLLBACK around a read-only request; a write session keeps its transaction."""
    app = session_app(await suite_database_url("runtime"))

    async with served(app) as client:
        written = (await client.get("/write-session")).json()
        read = (await client.get("/read-session")).json()
        checked_out = app.state.engine.pool.checkedout()

    assert written == {"one_transaction": True}
    assert read == {"one_transaction": False}
    assert checked_out == 0


async def test_a_connection_cut_while_idle_is_replaced_before_a_request_uses_it() -> None:
    """The server ends a pooled connection (a restart, an idle timeout): the next request
    gets a fresh connection, not a 503; the ping runs only on connections idle that long."""
    url = await suite_database_url("runtime")
    app = FastAPI()
    pid = text("SELECT pg_backend_pid()")

    @app.get("/pid")
    async def backend(session: ReadDb) -> dict[str, int]:
        return {"pid": await session.scalar(pid)}

    engine = make_engine(url, ping_idle_after=0)
    attach_engine(app, engine)
    killer = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
            first = await client.get("/pid")
            async with killer.connect() as conn:
                await conn.execute(
                    text("SELECT pg_terminate_backend(:pid)"), {"pid": first.json()["pid"]}
                )
            second = await client.get("/pid")
    finally:
        await engine.dispose()
        await killer.dispose()

    assert first.status_code == second.status_code == 200
    assert second.json()["pid"] != first.json()["pid"]
