"""The database lifespan, per-request sessions and the readiness check, on a real server."""

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from inkwell_runtime.db import DbSession, database_lifespan, database_ready
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
