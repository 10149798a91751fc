"""``make bench-scale``'s floor: the posts list as bare as it gets, to measure what the
service's stack (FastAPI, SQLAlchemy, pydantic, middleware) costs per request.

Starlette and one asyncpg pool, nothing else: ``GET /api/posts?limit=&cursor=`` runs the same
SQL the content service runs (the same columns, keyset condition, order and ``LIMIT n + 1``)
and answers the same JSON page. No validation beyond what the SQL needs, no session, no ORM.

``uvicorn --app-dir quality/bench --factory scale_floor:create_app`` with ``FLOOR_DSN`` set.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from inkwell_runtime.pagination import decode_cursor, encode_cursor

COLUMNS = "id, title, content, author_id, author_username, date_posted, updated_at"
FIRST_PAGE = f"SELECT {COLUMNS} FROM posts ORDER BY date_posted DESC, id DESC LIMIT $1"  # noqa: S608
AFTER_CURSOR = (
    f"SELECT {COLUMNS} FROM posts WHERE (date_posted, id) < ($2, $3) "  # noqa: S608
    "ORDER BY date_posted DESC, id DESC LIMIT $1"
)


def _post(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "title": row["title"],
        "content": row["content"],
        "author": {"id": str(row["author_id"]), "username": row["author_username"]},
        "date_posted": row["date_posted"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


async def list_posts(request: Request) -> JSONResponse:
    limit = int(request.query_params.get("limit", "10"))
    cursor = request.query_params.get("cursor")
    pool: asyncpg.Pool = request.app.state.pool
    if cursor is None:
        rows = await pool.fetch(FIRST_PAGE, limit + 1)
    else:
        rows = await pool.fetch(AFTER_CURSOR, limit + 1, *decode_cursor(cursor))
    items = rows[:limit]
    last = items[-1] if len(rows) > limit else None
    next_cursor = encode_cursor((last["date_posted"], last["id"])) if last else None
    return JSONResponse(
        {
            "next_cursor": next_cursor,
            "has_more": next_cursor is not None,
            "skip": 0,
            "limit": limit,
            "total": None,
            "items": [_post(r) for r in items],
        }
    )


def create_app() -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with asyncpg.create_pool(os.environ["FLOOR_DSN"], min_size=1, max_size=10) as pool:
            app.state.pool = pool
            yield

    return Starlette(routes=[Route("/api/posts", list_posts)], lifespan=lifespan)
