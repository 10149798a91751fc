"""Listings through the gateway, walked by cursor: every post that exists throughout a walk is
seen exactly once, newest first, however many posts are written and deleted meanwhile."""

import asyncio
from datetime import datetime
from typing import Any

import httpx
import pytest

from inkwell_e2e.flows import User

pytestmark = pytest.mark.anyio

STABLE = 24
"""Posts that exist for the whole walk."""
DOOMED = 8
"""Posts deleted while the walk runs."""
WRITTEN_DURING = 12
"""Posts created while the walk runs."""


async def create(gateway: httpx.AsyncClient, author: User, title: str) -> str:
    answer = await gateway.post(
        "/api/posts", json={"title": title, "content": "x"}, headers=author.headers
    )
    assert answer.status_code == 201, answer.text
    post_id: str = answer.json()["id"]
    return post_id


async def walk(gateway: httpx.AsyncClient, path: str, limit: int) -> list[dict[str, Any]]:
    """Every item from the first page on, following next_cursor, a little at a time."""
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        page = await gateway.get(path, params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        seen += body["items"]
        if body["next_cursor"] is None:
            assert body["has_more"] is False
            return seen
        params = {"limit": limit, "cursor": body["next_cursor"]}
        await asyncio.sleep(0)  # let the writers in between pages


@pytest.mark.parametrize("listing", ["everyone", "one author"])
async def test_a_cursor_walk_sees_every_lasting_post_once_while_others_come_and_go(
    gateway: httpx.AsyncClient, alice: User, bob: User, listing: str
) -> None:
    stable = [await create(gateway, alice, f"stable {n}") for n in range(STABLE)]
    doomed = [await create(gateway, alice, f"doomed {n}") for n in range(DOOMED)]
    path = "/api/posts" if listing == "everyone" else f"/api/users/{alice.id}/posts"

    async def churn() -> None:
        for n in range(max(DOOMED, WRITTEN_DURING)):
            if n < WRITTEN_DURING:
                await create(gateway, alice if n % 2 else bob, f"new {n}")
            if n < DOOMED:
                gone = await gateway.delete(f"/api/posts/{doomed[n]}", headers=alice.headers)
                assert gone.status_code == 204

    seen, _ = await asyncio.gather(walk(gateway, path, limit=3), churn())

    ids = [p["id"] for p in seen]
    assert len(ids) == len(set(ids)), "a post was listed twice"
    assert set(stable) <= set(ids), "a post that existed throughout was missed"
    listed_stable = [i for i in ids if i in set(stable)]
    assert listed_stable == stable[::-1], "not newest first"
    moments = [datetime.fromisoformat(p["date_posted"]) for p in seen]
    assert moments == sorted(moments, reverse=True)


async def test_skip_serves_the_first_pages_and_points_deeper_pages_to_the_cursor(
    gateway: httpx.AsyncClient, alice: User
) -> None:
    ids = [await create(gateway, alice, f"post {n}") for n in range(3)]
    path = f"/api/users/{alice.id}/posts"

    shallow = await gateway.get(path, params={"skip": 1, "limit": 1})
    deepest = await gateway.get(path, params={"skip": 1000})
    too_deep = await gateway.get(path, params={"skip": 1001})
    from_cursor = await gateway.get(path, params={"cursor": shallow.json()["next_cursor"]})

    assert [p["id"] for p in shallow.json()["items"]] == [ids[1]]
    assert deepest.status_code == 200
    assert deepest.json()["items"] == []
    assert too_deep.status_code == 422
    (error,) = too_deep.json()["detail"]
    assert error["loc"] == ["query", "skip"]
    assert "cursor" in error["msg"]
    assert [p["id"] for p in from_cursor.json()["items"]] == [ids[0]]


@pytest.mark.parametrize("path", ["/api/posts", "/api/users/{user}/posts"])
@pytest.mark.parametrize("cursor", ["garbage", "AAAA", "A" * 34, "Zm9vYmFy" * 8 + "x"])
async def test_a_garbage_cursor_is_422_through_the_gateway(
    gateway: httpx.AsyncClient, alice: User, path: str, cursor: str
) -> None:
    answer = await gateway.get(path.format(user=alice.id), params={"cursor": cursor})

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "cursor"]
