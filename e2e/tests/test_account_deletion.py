"""Leaving Inkwell: DELETE /api/users/me erases the account's posts, preferences and profile
picture everywhere, even from a service that was down when the account was deleted."""

from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from inkwell_e2e.flows import PASSWORD, User, eventually, png
from inkwell_e2e.systems import Control, System

pytestmark = pytest.mark.anyio

ERASED_WITHIN_SECONDS = 10.0


@pytest.fixture
def control(system: System) -> Control:
    if system.control is None:
        pytest.skip("this system cannot stop and start services")
    return system.control


async def test_a_deleted_account_is_erased_everywhere_even_from_a_service_that_was_down(
    gateway: httpx.AsyncClient,
    alice: User,
    control: Control,
    auth_db: AsyncEngine,
    content_db: AsyncEngine,
    mongo: AsyncDatabase[dict[str, Any]],
    bucket: Any,
    system: System,
) -> None:
    post = await gateway.post(
        "/api/posts", json={"title": "mine", "content": "x"}, headers=alice.headers
    )
    prefs = await gateway.put(
        "/api/users/me/preferences", json={"city": "Oslo"}, headers=alice.headers
    )
    picture = await gateway.put(
        "/api/users/me/profile-picture",
        headers=alice.headers,
        files={"file": ("me.png", png(), "image/png")},
    )
    assert (post.status_code, prefs.status_code, picture.status_code) == (201, 200, 200)
    wrong = await gateway.request(
        "DELETE", "/api/users/me", json={"password": "not the password"}, headers=alice.headers
    )
    assert wrong.status_code == 401

    control.stop("preferences")
    try:
        deleted = await gateway.request(
            "DELETE", "/api/users/me", json={"password": PASSWORD}, headers=alice.headers
        )
        assert deleted.status_code == 204, deleted.text
        assert (await gateway.get("/api/users/me", headers=alice.headers)).status_code == 401
        login = await gateway.post(
            "/api/auth/token", data={"username": alice.username, "password": PASSWORD}
        )
        assert login.status_code == 401

        async def posts_gone() -> bool:
            async with content_db.connect() as conn:
                left = await conn.scalar(
                    text("SELECT count(*) FROM posts WHERE author_id = :id"), {"id": alice.id}
                )
            return left == 0

        async def picture_gone() -> bool:
            listed = bucket.list_objects_v2(
                Bucket=system.stores.bucket, Prefix=f"profile_pics/{alice.id}"
            )
            return listed.get("KeyCount", 0) == 0

        assert await eventually(posts_gone, ERASED_WITHIN_SECONDS)
        assert await eventually(picture_gone, ERASED_WITHIN_SECONDS)
        async with auth_db.connect() as conn:
            pending = await conn.scalar(
                text(
                    "SELECT service FROM erasure_outbox "
                    "WHERE user_id = :id AND delivered_at IS NULL"
                ),
                {"id": alice.id},
            )
        assert pending == "preferences"  # owed, retried, not lost
        assert await mongo["preferences"].count_documents({"user_id": alice.id}) == 1
    finally:
        control.start("preferences")

    async def preferences_gone() -> bool:
        return await mongo["preferences"].count_documents({"user_id": alice.id}) == 0

    assert await eventually(preferences_gone, ERASED_WITHIN_SECONDS)
    async with auth_db.connect() as conn:
        users = await conn.scalar(
            text("SELECT count(*) FROM users WHERE id = :id"), {"id": alice.id}
        )
    assert users == 0


async def test_internal_routes_are_not_reachable_through_the_gateway(
    gateway: httpx.AsyncClient, alice: User
) -> None:
    for path in (f"/internal/users/{alice.id}", f"/api/internal/users/{alice.id}"):
        response = await gateway.delete(path, headers=alice.headers)
        assert response.status_code == 404
