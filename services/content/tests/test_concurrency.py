"""Races over real, committing connections (no shared rolled-back session here).

Two PATCHes of different fields at once must both survive: the update locks the row and
writes only the columns sent, so neither overwrites the other with a stale copy.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine

from content_service.core.config import ContentSettings
from content_service.main import create_app
from content_service.models import Base
from inkwell_runtime.db import attach_engine
from inkwell_testing.postgres import truncate_all
from inkwell_testing.tokens import TestSigner

from .conftest import Caller, create_post

pytestmark = pytest.mark.anyio

ROUNDS = 5


@pytest.fixture
async def committed_app(
    engine: AsyncEngine, settings: ContentSettings, signer: TestSigner
) -> AsyncIterator[FastAPI]:
    """The app on real sessions (each request its own connection and transaction)."""
    app = create_app(settings, token_verifier=signer.verifier())
    attach_engine(app, engine)
    yield app
    await truncate_all(engine, Base.metadata)


@pytest.fixture
async def racer(committed_app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(
        transport=ASGITransport(app=committed_app), base_url="http://content.test"
    ) as client:
        yield client


async def test_concurrent_updates_of_different_fields_both_survive(
    racer: AsyncClient, alice: Caller, signer: TestSigner
) -> None:
    headers = alice.headers(signer)
    posts = [await create_post(racer, headers, f"title {i}", f"content {i}") for i in range(ROUNDS)]

    async def patch(post: dict[str, Any], field: str) -> int:
        response = await racer.patch(
            f"/api/posts/{post['id']}", json={field: f"new {field}"}, headers=headers
        )
        return response.status_code

    codes = await asyncio.gather(
        *(patch(post, field) for post in posts for field in ("title", "content"))
    )

    assert codes == [200] * 2 * ROUNDS
    for post in posts:
        stored = (await racer.get(f"/api/posts/{post['id']}")).json()
        assert (stored["title"], stored["content"]) == ("new title", "new content")


async def test_update_racing_a_delete_is_200_or_404_never_500(
    racer: AsyncClient, alice: Caller, signer: TestSigner
) -> None:
    headers = alice.headers(signer)
    posts = [await create_post(racer, headers) for _ in range(ROUNDS)]

    async def race(post: dict[str, Any]) -> tuple[int, int]:
        url = f"/api/posts/{post['id']}"
        deleted, patched = await asyncio.gather(
            racer.delete(url, headers=headers),
            racer.patch(url, json={"title": "too late?"}, headers=headers),
        )
        return deleted.status_code, patched.status_code

    outcomes = await asyncio.gather(*(race(post) for post in posts))

    assert all(deleted == 204 and patched in (200, 404) for deleted, patched in outcomes)
    listed = (await racer.get("/api/posts")).json()
    assert listed["items"] == []
