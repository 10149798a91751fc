"""Posts across auth and content: two users, one post, ownership enforced through the gateway."""

import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from inkwell_e2e.flows import User

pytestmark = pytest.mark.anyio


async def test_two_users_one_post_ownership(
    gateway: httpx.AsyncClient, alice: User, bob: User, content_db: AsyncEngine
) -> None:
    """Alice writes; Bob may read but not change or delete; Alice may; the row follows."""
    created = await gateway.post(
        "/api/posts",
        json={"title": "Alice's first", "content": "Hello from Alice"},
        headers=alice.headers,
    )
    assert created.status_code == 201, created.text
    post = created.json()
    assert post["author"] == {"id": alice.id, "username": alice.username}
    post_url = f"/api/posts/{post['id']}"

    async with content_db.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT title, author_id, author_username FROM posts WHERE id = :id"),
                {"id": post["id"]},
            )
        ).one()
    assert row == ("Alice's first", uuid.UUID(alice.id), alice.username)

    read_by_anyone = await gateway.get(post_url)
    assert read_by_anyone.status_code == 200
    assert read_by_anyone.json()["content"] == "Hello from Alice"

    by_bob = await gateway.patch(post_url, json={"title": "Bob was here"}, headers=bob.headers)
    assert by_bob.status_code == 403
    assert by_bob.json() == {"detail": "Not authorized to update this post"}
    deleted_by_bob = await gateway.delete(post_url, headers=bob.headers)
    assert deleted_by_bob.status_code == 403
    assert deleted_by_bob.json() == {"detail": "Not authorized to delete this post"}

    by_alice = await gateway.patch(post_url, json={"title": "Alice, edited"}, headers=alice.headers)
    assert by_alice.status_code == 200, by_alice.text
    assert by_alice.json()["title"] == "Alice, edited"
    assert by_alice.json()["content"] == "Hello from Alice"  # a partial update keeps the rest

    alices_posts = await gateway.get(f"/api/users/{alice.id}/posts")
    assert alices_posts.status_code == 200
    assert [p["id"] for p in alices_posts.json()["items"]] == [post["id"]]
    bobs_posts = await gateway.get(f"/api/users/{bob.id}/posts", params={"total": "true"})
    assert bobs_posts.json()["total"] == 0

    gone = await gateway.delete(post_url, headers=alice.headers)
    assert gone.status_code == 204
    after = await gateway.get(post_url)
    assert after.status_code == 404
    assert after.json() == {"detail": "Post not found"}
    async with content_db.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM posts WHERE id = :id"), {"id": post["id"]}
        )
    assert count == 0


async def test_the_feed_is_newest_first_and_paginated(
    gateway: httpx.AsyncClient, alice: User
) -> None:
    ids = []
    for n in range(3):
        answer = await gateway.post(
            "/api/posts", json={"title": f"post {n}", "content": "x"}, headers=alice.headers
        )
        assert answer.status_code == 201
        ids.append(answer.json()["id"])

    page = await gateway.get(f"/api/users/{alice.id}/posts", params={"limit": 2})
    assert page.status_code == 200
    body = page.json()
    assert [p["id"] for p in body["items"]] == [ids[2], ids[1]]
    assert body["has_more"] is True
    rest = await gateway.get(f"/api/users/{alice.id}/posts", params={"limit": 2, "skip": 2})
    assert [p["id"] for p in rest.json()["items"]] == [ids[0]]
    assert rest.json()["has_more"] is False
    assert rest.json()["next_cursor"] is None


async def test_writing_needs_a_token(gateway: httpx.AsyncClient) -> None:
    answer = await gateway.post("/api/posts", json={"title": "anonymous", "content": "no"})
    assert answer.status_code == 401
    assert answer.json() == {"detail": "Not authenticated"}


async def test_bad_input_is_a_clear_422(gateway: httpx.AsyncClient, alice: User) -> None:
    answer = await gateway.post(
        "/api/posts", json={"title": "", "content": "x"}, headers=alice.headers
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == "title"
    limit = await gateway.get("/api/posts", params={"limit": 1000})
    assert limit.status_code == 422
