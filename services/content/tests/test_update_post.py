"""``PATCH /api/posts/{id}``: change only what is sent; ``null`` and ``{}`` are 422."""

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from content_service.models import Post

from .conftest import T0, Caller, add_posts

pytestmark = pytest.mark.anyio


@pytest.fixture
async def old_post(
    db_session: AsyncSession, alice: Caller, act_as: Callable[[Caller], None]
) -> Post:
    """Alice's post from 2026-01-01, and the requests are alice's (claims overridden)."""
    act_as(alice)
    (post,) = await add_posts(db_session, alice, 1)
    return post


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"title": "New title"}, {"title": "New title", "content": "post number 0"}),
        ({"content": "New content"}, {"title": "alice 00", "content": "New content"}),
        ({"title": "Both", "content": "changed"}, {"title": "Both", "content": "changed"}),
    ],
    ids=["title only", "content only", "both"],
)
async def test_partial_update_keeps_untouched_fields(
    client: AsyncClient, old_post: Post, change: dict[str, str], expected: dict[str, str]
) -> None:
    response = await client.patch(f"/api/posts/{old_post.id}", json=change)

    assert response.status_code == 200
    body = response.json()
    assert {"title": body["title"], "content": body["content"]} == expected
    assert body["author"] == {"id": str(old_post.author_id), "username": "alice"}
    assert body["date_posted"] == "2026-01-01T00:00:00Z"
    assert datetime.fromisoformat(body["updated_at"]) > T0
    reread = (await client.get(f"/api/posts/{old_post.id}")).json()
    assert reread == body


async def test_update_strips_whitespace(client: AsyncClient, old_post: Post) -> None:
    response = await client.patch(f"/api/posts/{old_post.id}", json={"title": "  Trimmed  "})

    assert response.status_code == 200
    assert response.json()["title"] == "Trimmed"


INVALID = {
    "null title": ({"title": None}, "may not be null"),
    "null content": ({"content": None}, "may not be null"),
    "null beside a valid field": ({"title": "ok", "content": None}, "may not be null"),
    "empty body": ({}, "nothing to update"),
    "blank title": ({"title": "   "}, "at least 1 character"),
    "title too long": ({"title": "t" * 201}, "at most 200 characters"),
    "content too long": ({"content": "c" * 50_001}, "at most 50000 characters"),
    "unknown field": ({"author_id": str(uuid.uuid4())}, "Extra inputs are not permitted"),
}


@pytest.mark.parametrize(("change", "message"), INVALID.values(), ids=INVALID.keys())
async def test_invalid_update_is_422_and_changes_nothing(
    client: AsyncClient,
    db_session: AsyncSession,
    old_post: Post,
    change: dict[str, Any],
    message: str,
) -> None:
    """``null`` must not blank a required field; ``{}`` is a mistake worth reporting."""
    response = await client.patch(f"/api/posts/{old_post.id}", json=change)

    assert response.status_code == 422
    assert message in str(response.json()["detail"])
    await db_session.refresh(old_post)
    assert (old_post.title, old_post.content, old_post.updated_at) == (
        "alice 00",
        "post number 0",
        T0,
    )


async def test_update_of_an_unknown_post_is_404(client: AsyncClient, old_post: Post) -> None:
    response = await client.patch(f"/api/posts/{uuid.uuid4()}", json={"title": "x"})

    assert response.status_code == 404
    assert response.json() == {"detail": "Post not found"}
