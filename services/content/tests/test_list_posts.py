"""``GET /api/posts`` and ``GET /api/users/{id}/posts``: newest first, in pages."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from .conftest import T0, Caller, add_posts

pytestmark = pytest.mark.anyio


def titles(body: dict[str, Any]) -> list[str]:
    return [p["title"] for p in body["posts"]]


def alice_titles(*numbers: int) -> list[str]:
    return [f"alice {n:02d}" for n in numbers]


# 25 posts by alice, "alice 00" the oldest; pages list them newest first.
PAGES = {
    "default": ({}, alice_titles(*range(24, 14, -1)), 0, 10, True),
    "limit": ({"limit": 5}, alice_titles(24, 23, 22, 21, 20), 0, 5, True),
    "skip+limit": ({"skip": 5, "limit": 3}, alice_titles(19, 18, 17), 5, 3, True),
    "one before the end": ({"skip": 19, "limit": 5}, alice_titles(5, 4, 3, 2, 1), 19, 5, True),
    "exactly the end": ({"skip": 20, "limit": 5}, alice_titles(4, 3, 2, 1, 0), 20, 5, False),
    "past the end": ({"skip": 22, "limit": 5}, alice_titles(2, 1, 0), 22, 5, False),
    "all at once": ({"limit": 100}, alice_titles(*range(24, -1, -1)), 0, 100, False),
    "nothing left": ({"skip": 25}, [], 25, 10, False),
    "far beyond": ({"skip": 1000}, [], 1000, 10, False),
    "largest skip": ({"skip": 2**31 - 1}, [], 2**31 - 1, 10, False),
}


@pytest.mark.parametrize(
    ("params", "expected", "skip", "limit", "has_more"), PAGES.values(), ids=PAGES.keys()
)
async def test_pagination(
    client: AsyncClient,
    db_session: AsyncSession,
    alice: Caller,
    params: dict[str, int],
    expected: list[str],
    skip: int,
    limit: int,
    has_more: bool,
) -> None:
    await add_posts(db_session, alice, 25)

    response = await client.get("/api/posts", params=params)

    assert response.status_code == 200
    body = response.json()
    assert titles(body) == expected
    assert (body["total"], body["skip"], body["limit"], body["has_more"]) == (
        25,
        skip,
        limit,
        has_more,
    )


async def test_empty_database_is_an_empty_page(client: AsyncClient) -> None:
    response = await client.get("/api/posts")

    assert response.status_code == 200
    assert response.json() == {"posts": [], "total": 0, "skip": 0, "limit": 10, "has_more": False}


async def test_posts_carry_their_author(
    client: AsyncClient, db_session: AsyncSession, alice: Caller
) -> None:
    (stored,) = await add_posts(db_session, alice, 1)

    (listed,) = (await client.get("/api/posts")).json()["posts"]

    assert listed == {
        "id": str(stored.id),
        "title": "alice 00",
        "content": "post number 0",
        "author": {"id": str(alice.id), "username": "alice"},
        "date_posted": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }


async def test_posts_at_the_same_instant_are_paged_without_overlap_or_gap(
    client: AsyncClient, db_session: AsyncSession, alice: Caller
) -> None:
    """Ties on date_posted are broken by id (descending): the pages see every post once."""
    stored = await add_posts(db_session, alice, 7, step=timedelta(0))

    seen: list[str] = []
    for skip in range(0, 8, 2):
        page = (await client.get("/api/posts", params={"skip": skip, "limit": 2})).json()
        seen += [p["id"] for p in page["posts"]]

    assert seen == sorted((str(p.id) for p in stored), reverse=True)


BAD_BOUNDS: dict[str, dict[str, int | str]] = {
    "limit 0": {"limit": 0},
    "limit 101": {"limit": 101},
    "negative limit": {"limit": -1},
    "negative skip": {"skip": -1},
    "skip past 2**31 - 1": {"skip": 2**31},
    "skip past int64 (a database error if let through)": {"skip": 2**63},
    "limit not a number": {"limit": "ten"},
    "skip not a number": {"skip": "1.5"},
}


@pytest.mark.parametrize("path", ["/api/posts", f"/api/users/{uuid.uuid4()}/posts"])
@pytest.mark.parametrize("params", BAD_BOUNDS.values(), ids=BAD_BOUNDS.keys())
async def test_bounds_are_422(client: AsyncClient, path: str, params: dict[str, int | str]) -> None:
    response = await client.get(path, params=params)

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", next(iter(params))]


async def test_one_authors_posts(
    client: AsyncClient, db_session: AsyncSession, alice: Caller, bob: Caller
) -> None:
    await add_posts(db_session, alice, 3)
    await add_posts(db_session, bob, 2, start=T0 + timedelta(seconds=30))

    response = await client.get(f"/api/users/{alice.id}/posts", params={"limit": 2})

    assert response.status_code == 200
    body = response.json()
    assert titles(body) == ["alice 02", "alice 01"]
    assert {p["author"]["id"] for p in body["posts"]} == {str(alice.id)}
    assert (body["total"], body["has_more"]) == (3, True)


async def test_an_author_without_posts_has_an_empty_page(
    client: AsyncClient, db_session: AsyncSession, alice: Caller
) -> None:
    """Content does not know who exists (users live in auth): an unknown id is not a 404."""
    await add_posts(db_session, alice, 2)

    response = await client.get(f"/api/users/{uuid.uuid4()}/posts")

    assert response.status_code == 200
    assert response.json() == {"posts": [], "total": 0, "skip": 0, "limit": 10, "has_more": False}


async def test_malformed_user_id_is_422(client: AsyncClient) -> None:
    response = await client.get("/api/users/not-a-uuid/posts")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "user_id"]
