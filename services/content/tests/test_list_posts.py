"""``GET /api/posts`` and ``GET /api/users/{id}/posts``: newest first, in pages walked by cursor."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from .conftest import T0, Caller, add_posts

pytestmark = pytest.mark.anyio


def titles(body: dict[str, Any]) -> list[str]:
    return [p["title"] for p in body["items"]]


def alice_titles(*numbers: int) -> list[str]:
    return [f"alice {n:02d}" for n in numbers]


async def walk(client: AsyncClient, path: str, limit: int) -> list[dict[str, Any]]:
    """Every page from the first, following next_cursor; the pages' bodies."""
    pages = [(await client.get(path, params={"limit": limit})).json()]
    while pages[-1]["next_cursor"] is not None:
        cursor = pages[-1]["next_cursor"]
        answer = await client.get(path, params={"limit": limit, "cursor": cursor})
        assert answer.status_code == 200
        pages.append(answer.json())
    return pages


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
    "the deepest skip": ({"skip": 1000}, [], 1000, 10, False),
}


@pytest.mark.parametrize(
    ("params", "expected", "skip", "limit", "has_more"), PAGES.values(), ids=PAGES.keys()
)
async def test_first_pages_by_skip(
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
    assert (body["skip"], body["limit"], body["has_more"], body["total"]) == (
        skip,
        limit,
        has_more,
        None,
    )
    assert (body["next_cursor"] is not None) is has_more


async def test_walking_the_cursor_visits_every_post_once_newest_first(
    client: AsyncClient, db_session: AsyncSession, alice: Caller
) -> None:
    await add_posts(db_session, alice, 25)

    pages = await walk(client, "/api/posts", limit=10)

    assert [titles(p) for p in pages] == [
        alice_titles(*range(24, 14, -1)),
        alice_titles(*range(14, 4, -1)),
        alice_titles(4, 3, 2, 1, 0),
    ]
    assert [p["has_more"] for p in pages] == [True, True, False]


async def test_a_page_that_ends_exactly_at_the_last_post_has_no_cursor(
    client: AsyncClient, db_session: AsyncSession, alice: Caller
) -> None:
    """One row more than the page is fetched: no empty trailing page for the client."""
    await add_posts(db_session, alice, 4)

    pages = await walk(client, "/api/posts", limit=2)

    assert [titles(p) for p in pages] == [alice_titles(3, 2), alice_titles(1, 0)]


async def test_a_skip_page_hands_over_to_the_cursor(
    client: AsyncClient, db_session: AsyncSession, alice: Caller
) -> None:
    await add_posts(db_session, alice, 10)

    first = (await client.get("/api/posts", params={"skip": 3, "limit": 2})).json()
    after = await client.get("/api/posts", params={"cursor": first["next_cursor"], "limit": 3})

    assert titles(first) == alice_titles(6, 5)
    assert titles(after.json()) == alice_titles(4, 3, 2)


async def test_a_walk_is_not_disturbed_by_posts_created_and_deleted_meanwhile(
    client: AsyncClient, db_session: AsyncSession, alice: Caller, bob: Caller
) -> None:
    """Posts that exist throughout are each seen once; new posts sort before the cursor."""
    stored = await add_posts(db_session, alice, 9)
    first = (await client.get("/api/posts", params={"limit": 3})).json()
    await add_posts(db_session, bob, 5, start=T0 + timedelta(days=1))
    await db_session.delete(next(p for p in stored if p.title == "alice 07"))  # already seen
    await db_session.delete(next(p for p in stored if p.title == "alice 03"))  # not yet seen
    await db_session.commit()

    rest = [first]
    while rest[-1]["next_cursor"]:
        params = {"limit": 3, "cursor": rest[-1]["next_cursor"]}
        rest.append((await client.get("/api/posts", params=params)).json())

    seen = [t for page in rest for t in titles(page)]
    assert seen == alice_titles(8, 7, 6, 5, 4, 2, 1, 0)


async def test_posts_at_the_same_instant_are_paged_without_overlap_or_gap(
    client: AsyncClient, db_session: AsyncSession, alice: Caller
) -> None:
    """Ties on date_posted are broken by id (descending): the pages see every post once."""
    stored = await add_posts(db_session, alice, 7, step=timedelta(0))

    pages = await walk(client, "/api/posts", limit=2)

    seen = [p["id"] for page in pages for p in page["items"]]
    assert seen == sorted((str(p.id) for p in stored), reverse=True)


async def test_the_total_is_counted_only_when_asked_for(
    client: AsyncClient, db_session: AsyncSession, alice: Caller, bob: Caller
) -> None:
    await add_posts(db_session, alice, 4)
    await add_posts(db_session, bob, 3, start=T0 + timedelta(days=1))
    first = (await client.get("/api/posts", params={"limit": 2})).json()

    everyone = await client.get("/api/posts", params={"total": "true", "limit": 2})
    deeper = await client.get(
        "/api/posts", params={"total": "true", "cursor": first["next_cursor"]}
    )
    alices = await client.get(f"/api/users/{alice.id}/posts", params={"total": "true"})

    assert first["total"] is None
    assert (everyone.json()["total"], deeper.json()["total"], alices.json()["total"]) == (7, 7, 4)


async def test_empty_database_is_an_empty_page(client: AsyncClient) -> None:
    response = await client.get("/api/posts")

    assert response.status_code == 200
    assert response.json() == {
        "items": [],
        "next_cursor": None,
        "has_more": False,
        "skip": 0,
        "limit": 10,
        "total": None,
    }


async def test_posts_carry_their_author(
    client: AsyncClient, db_session: AsyncSession, alice: Caller
) -> None:
    (stored,) = await add_posts(db_session, alice, 1)

    (listed,) = (await client.get("/api/posts")).json()["items"]

    assert listed == {
        "id": str(stored.id),
        "title": "alice 00",
        "content": "post number 0",
        "author": {"id": str(alice.id), "username": "alice"},
        "date_posted": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }


BAD_BOUNDS: dict[str, dict[str, int | str]] = {
    "limit 0": {"limit": 0},
    "limit 101": {"limit": 101},
    "negative limit": {"limit": -1},
    "negative skip": {"skip": -1},
    "skip past int64 (a database error if let through)": {"skip": 2**63},
    "limit not a number": {"limit": "ten"},
    "skip not a number": {"skip": "1.5"},
    "total not a boolean": {"total": "maybe"},
}


@pytest.mark.parametrize("path", ["/api/posts", f"/api/users/{uuid.uuid4()}/posts"])
@pytest.mark.parametrize("params", BAD_BOUNDS.values(), ids=BAD_BOUNDS.keys())
async def test_bounds_are_422(client: AsyncClient, path: str, params: dict[str, int | str]) -> None:
    response = await client.get(path, params=params)

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", next(iter(params))]


@pytest.mark.parametrize("path", ["/api/posts", f"/api/users/{uuid.uuid4()}/posts"])
@pytest.mark.parametrize("skip", [1001, 2**31])
async def test_a_deep_skip_is_422_pointing_to_the_cursor(
    client: AsyncClient, path: str, skip: int
) -> None:
    response = await client.get(path, params={"skip": skip})

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "skip"]
    assert "at most 1000" in error["msg"]
    assert "cursor" in error["msg"]


GARBAGE_CURSORS = {
    "not base64": "not a cursor!",
    "base64 of text": "aGVsbG8gd29ybGQ",
    "too short": "AQ",
    "too long": "A" * 64,
    "longer than any cursor": "A" * 65,
    "padding where there is none": "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
    "empty": "",
}


@pytest.mark.parametrize("path", ["/api/posts", f"/api/users/{uuid.uuid4()}/posts"])
@pytest.mark.parametrize("cursor", GARBAGE_CURSORS.values(), ids=GARBAGE_CURSORS.keys())
async def test_a_garbage_cursor_is_422(client: AsyncClient, path: str, cursor: str) -> None:
    response = await client.get(path, params={"cursor": cursor})

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "cursor"]


async def test_cursor_and_skip_together_are_422(
    client: AsyncClient, db_session: AsyncSession, alice: Caller
) -> None:
    await add_posts(db_session, alice, 3)
    cursor = (await client.get("/api/posts", params={"limit": 1})).json()["next_cursor"]

    response = await client.get("/api/posts", params={"cursor": cursor, "skip": 1})

    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "send cursor or skip, not both"


async def test_one_authors_posts(
    client: AsyncClient, db_session: AsyncSession, alice: Caller, bob: Caller
) -> None:
    await add_posts(db_session, alice, 3)
    await add_posts(db_session, bob, 2, start=T0 + timedelta(seconds=30))

    response = await client.get(f"/api/users/{alice.id}/posts", params={"limit": 2})

    assert response.status_code == 200
    body = response.json()
    assert titles(body) == ["alice 02", "alice 01"]
    assert {p["author"]["id"] for p in body["items"]} == {str(alice.id)}
    assert body["has_more"] is True


async def test_walking_one_authors_posts_leaves_out_everyone_else(
    client: AsyncClient, db_session: AsyncSession, alice: Caller, bob: Caller
) -> None:
    """Bob posts in between Alice's: the cursor stays inside Alice's listing."""
    await add_posts(db_session, alice, 5, step=timedelta(minutes=2))
    await add_posts(db_session, bob, 5, start=T0 + timedelta(minutes=1), step=timedelta(minutes=2))

    pages = await walk(client, f"/api/users/{alice.id}/posts", limit=2)

    assert [titles(p) for p in pages] == [
        alice_titles(4, 3),
        alice_titles(2, 1),
        alice_titles(0),
    ]


async def test_an_author_without_posts_has_an_empty_page(
    client: AsyncClient, db_session: AsyncSession, alice: Caller
) -> None:
    """Content does not know who exists (users live in auth): an unknown id is not a 404."""
    await add_posts(db_session, alice, 2)

    response = await client.get(f"/api/users/{uuid.uuid4()}/posts")

    assert response.status_code == 200
    assert response.json()["items"] == []
    assert response.json()["next_cursor"] is None


async def test_malformed_user_id_is_422(client: AsyncClient) -> None:
    response = await client.get("/api/users/not-a-uuid/posts")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "user_id"]
