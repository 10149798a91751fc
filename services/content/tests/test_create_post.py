"""``POST /api/posts``: the author is whoever the token names; the body is checked strictly."""

import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from content_service.models import Post
from inkwell_testing.tokens import TestSigner

from .conftest import Caller, count_posts

pytestmark = pytest.mark.anyio


async def test_create_returns_the_post_with_its_author_from_the_token(
    client: AsyncClient, db_session: AsyncSession, alice: Caller, signer: TestSigner
) -> None:
    response = await client.post(
        "/api/posts", json={"title": "Hello", "content": "World"}, headers=alice.headers(signer)
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "title", "content", "author", "date_posted", "updated_at"}
    assert (body["title"], body["content"]) == ("Hello", "World")
    assert body["author"] == {"id": str(alice.id), "username": "alice"}
    assert body["date_posted"] == body["updated_at"]
    assert response.headers["Location"] == f"/api/posts/{body['id']}"
    stored = await db_session.get(Post, uuid.UUID(body["id"]))
    assert stored is not None
    assert (stored.author_id, stored.author_username) == (alice.id, "alice")


async def test_create_strips_surrounding_whitespace(
    client: AsyncClient, alice: Caller, signer: TestSigner
) -> None:
    response = await client.post(
        "/api/posts",
        json={"title": "  Spaced out \t", "content": "\n  Body\n\n"},
        headers=alice.headers(signer),
    )

    assert response.status_code == 201
    assert (response.json()["title"], response.json()["content"]) == ("Spaced out", "Body")


@pytest.mark.parametrize(
    ("title", "content"),
    [("t" * 200, "c"), ("t", "c" * 50_000), ("  " + "t" * 200 + "  ", "c")],
    ids=["longest title", "longest content", "padding does not count"],
)
async def test_longest_allowed_fields_are_accepted(
    client: AsyncClient, alice: Caller, signer: TestSigner, title: str, content: str
) -> None:
    response = await client.post(
        "/api/posts", json={"title": title, "content": content}, headers=alice.headers(signer)
    )

    assert response.status_code == 201
    assert response.json()["title"] == title.strip()


INVALID = {
    "empty title": ({"title": "", "content": "c"}, "title"),
    "blank title": ({"title": " \t\n ", "content": "c"}, "title"),
    "title too long": ({"title": "t" * 201, "content": "c"}, "title"),
    "title missing": ({"content": "c"}, "title"),
    "title null": ({"title": None, "content": "c"}, "title"),
    "title not a string": ({"title": 42, "content": "c"}, "title"),
    "empty content": ({"title": "t", "content": ""}, "content"),
    "blank content": ({"title": "t", "content": "\n\n  "}, "content"),
    "content too long": ({"title": "t", "content": "c" * 50_001}, "content"),
    "content missing": ({"title": "t"}, "content"),
    "NUL in the title": ({"title": "a\x00b", "content": "c"}, "title"),
    "NUL in the content": ({"title": "t", "content": "text\x00"}, "content"),
    "author in the body": (
        {"title": "t", "content": "c", "author_id": str(uuid.uuid4())},
        "author_id",
    ),
}


@pytest.mark.parametrize(("payload", "field"), INVALID.values(), ids=INVALID.keys())
async def test_invalid_post_is_422_and_stores_nothing(
    client: AsyncClient,
    db_session: AsyncSession,
    alice: Caller,
    signer: TestSigner,
    payload: dict[str, Any],
    field: str,
) -> None:
    response = await client.post("/api/posts", json=payload, headers=alice.headers(signer))

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert await count_posts(db_session) == 0


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'"a string"', b'{"title": "\\ud800", "content": "lone surrogate"}'],
    ids=["not json", "a list", "a string", "lone surrogate"],
)
async def test_a_body_that_is_not_a_json_object_is_422(
    client: AsyncClient, alice: Caller, signer: TestSigner, body: bytes
) -> None:
    headers = {**alice.headers(signer), "Content-Type": "application/json"}

    response = await client.post("/api/posts", content=body, headers=headers)

    assert response.status_code == 422
    assert response.json()["detail"]  # a JSON body, even when the input echoed is not UTF-8


async def test_create_without_a_token_is_401_and_stores_nothing(
    client: AsyncClient, db_session: AsyncSession
) -> None:
    response = await client.post("/api/posts", json={"title": "Hello", "content": "World"})

    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert await count_posts(db_session) == 0


async def test_authentication_is_checked_before_the_body(client: AsyncClient) -> None:
    """An anonymous caller learns nothing about validation: 401, not 422."""
    response = await client.post("/api/posts", json={"title": ""})

    assert response.status_code == 401
