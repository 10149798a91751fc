"""Deleting an account: password re-confirmed, tokens refused at once, and an erasure owed to
every service that holds the user's data, delivered by the outbox with retries."""

from contextlib import nullcontext
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx
from httpx import AsyncClient
from jose import jwt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import outbox
from auth_service.models import ErasureOutbox, User, utcnow
from inkwell_runtime.service_identity import SERVICE_AUDIENCE
from inkwell_testing.tokens import TestSigner

from .conftest import PASSWORD

pytestmark = pytest.mark.anyio

SERVICES = {
    "content": "http://content.test",
    "preferences": "http://preferences.test",
    "media": "http://media.test",
}


async def test_deleting_needs_the_password(
    client: AsyncClient,
    user: dict[str, Any],
    auth_headers: dict[str, str],
    db_session: AsyncSession,
) -> None:
    response = await client.request(
        "DELETE", "/api/users/me", json={"password": "not my password"}, headers=auth_headers
    )

    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect password"}
    assert await db_session.get(User, user["id"]) is not None
    assert (await db_session.scalars(select(ErasureOutbox))).all() == []


async def test_deleting_removes_the_account_and_owes_each_service_an_erasure(
    client: AsyncClient,
    user: dict[str, Any],
    auth_headers: dict[str, str],
    db_session: AsyncSession,
) -> None:
    response = await client.request(
        "DELETE", "/api/users/me", json={"password": PASSWORD}, headers=auth_headers
    )

    assert response.status_code == 204
    assert (await client.get("/api/users/me", headers=auth_headers)).status_code == 401
    login = await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    assert login.status_code == 401
    owed = (await db_session.scalars(select(ErasureOutbox))).all()
    assert sorted((str(r.user_id), r.service, r.delivered_at) for r in owed) == [
        (user["id"], "content", None),
        (user["id"], "media", None),
        (user["id"], "preferences", None),
    ]


async def owe(db_session: AsyncSession, user_id: str) -> None:
    for service in SERVICES:
        db_session.add(ErasureOutbox(user_id=user_id, service=service))
    await db_session.commit()


async def deliver(db_session: AsyncSession, signer: TestSigner, **kwargs: Any) -> int:
    async with httpx.AsyncClient() as client:
        return await outbox.deliver_due(
            lambda: nullcontext(db_session),
            client,
            signer.key,
            issuer="inkwell-auth",
            services=SERVICES,
            max_backoff_seconds=5,
            **kwargs,
        )


@respx.mock
async def test_the_outbox_retries_what_failed_and_calls_as_a_service(
    db_session: AsyncSession, signer: TestSigner
) -> None:
    user_id = "6f1d3a52-8b7e-4c1e-9a0f-0d2c5e7b9a11"
    await owe(db_session, user_id)
    content = respx.delete(f"http://content.test/internal/users/{user_id}").respond(204)
    prefs = respx.delete(f"http://preferences.test/internal/users/{user_id}").respond(503)
    media = respx.delete(f"http://media.test/internal/users/{user_id}").mock(
        side_effect=httpx.ConnectError("connection refused")
    )

    first = await deliver(db_session, signer)

    assert first == 1
    rows = {r.service: r for r in (await db_session.scalars(select(ErasureOutbox))).all()}
    assert rows["content"].delivered_at is not None
    assert rows["preferences"].delivered_at is None
    assert rows["preferences"].last_error is not None
    assert rows["preferences"].last_error.startswith("HTTP 503")
    assert rows["media"].last_error is not None and "ConnectError" in rows["media"].last_error
    assert rows["media"].next_attempt_at > utcnow()
    token = content.calls.last.request.headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.get_unverified_claims(token)
    assert (claims["sub"], claims["aud"]) == ("service:auth", SERVICE_AUDIENCE)

    prefs.respond(204)
    media.mock(side_effect=None).respond(404)  # nothing to erase is erased
    not_yet = await deliver(db_session, signer)
    later = await deliver(db_session, signer, now=utcnow() + timedelta(seconds=10))

    assert not_yet == 0  # the backoff is respected
    assert later == 2
    assert content.call_count == 1  # a delivered row is never sent again
    rows = {r.service: r for r in (await db_session.scalars(select(ErasureOutbox))).all()}
    assert all(r.delivered_at is not None for r in rows.values())
    assert rows["media"].attempts == 2


def test_backoff_grows_and_is_capped() -> None:
    assert [outbox.backoff(n, 5).total_seconds() for n in (1, 2, 3, 4, 10)] == [
        1.0,
        2.0,
        4.0,
        5.0,
        5.0,
    ]


async def test_the_revocation_feed_lists_ended_sessions_and_deleted_users(
    client: AsyncClient, user: dict[str, Any], db_session: AsyncSession
) -> None:
    login = await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    pair = login.json()
    claims = jwt.get_unverified_claims(pair["access_token"])
    await client.post("/api/auth/logout", json={"refresh_token": pair["refresh_token"]})
    gone = "0b6f1d3a-8b7e-4c1e-9a0f-0d2c5e7b9a22"
    db_session.add(ErasureOutbox(user_id=gone, service="content"))
    db_session.add(
        ErasureOutbox(
            user_id="1c7e2f4b-9c8f-4d2a-8b1e-1e3d6f8c0b33",
            service="content",
            created_at=utcnow() - timedelta(hours=1),  # its tokens have all expired
        )
    )
    await db_session.commit()

    feed = await client.get("/internal/revocations")

    assert feed.status_code == 200
    assert feed.json() == {"sessions": [claims["sid"]], "users": [gone]}
    assert feed.headers["Cache-Control"] == "no-store"
