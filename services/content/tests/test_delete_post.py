"""``DELETE /api/posts/{id}``: 204, and the post is gone."""

import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from content_service.models import Post
from inkwell_testing.tokens import TestSigner

from .conftest import Caller

pytestmark = pytest.mark.anyio


async def test_delete_removes_the_post(
    client: AsyncClient,
    db_session: AsyncSession,
    post: dict[str, Any],
    alice: Caller,
    signer: TestSigner,
) -> None:
    response = await client.delete(f"/api/posts/{post['id']}", headers=alice.headers(signer))

    assert response.status_code == 204
    assert response.content == b""
    assert await db_session.get(Post, uuid.UUID(post["id"])) is None
    assert (await client.get(f"/api/posts/{post['id']}")).status_code == 404


async def test_deleting_twice_is_404_the_second_time(
    client: AsyncClient, post: dict[str, Any], alice: Caller, signer: TestSigner
) -> None:
    first = await client.delete(f"/api/posts/{post['id']}", headers=alice.headers(signer))
    second = await client.delete(f"/api/posts/{post['id']}", headers=alice.headers(signer))

    assert (first.status_code, second.status_code) == (204, 404)
    assert second.json() == {"detail": "Post not found"}


async def test_delete_leaves_other_posts_alone(
    client: AsyncClient, post: dict[str, Any], alice: Caller, signer: TestSigner
) -> None:
    other = (
        await client.post(
            "/api/posts", json={"title": "Keep", "content": "me"}, headers=alice.headers(signer)
        )
    ).json()

    await client.delete(f"/api/posts/{post['id']}", headers=alice.headers(signer))

    listed = (await client.get("/api/posts")).json()
    assert [p["id"] for p in listed["items"]] == [other["id"]]
