"""Refresh tokens: rotation, reuse detection, logout, and what a password reset revokes."""

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.models import RefreshToken
from auth_service.sessions import digest

from .conftest import PASSWORD, Outbox
from .test_password_reset import NEW_PASSWORD, token_from

pytestmark = pytest.mark.anyio


async def log_in(client: AsyncClient) -> dict[str, Any]:
    response = await client.post(
        "/api/auth/login", json={"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def test_login_answers_a_short_access_token_and_a_refresh_token_stored_hashed(
    client: AsyncClient, user: dict[str, Any], db_session: AsyncSession
) -> None:
    pair = await log_in(client)

    assert set(pair) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert (pair["token_type"], pair["expires_in"]) == ("bearer", 15 * 60)
    stored = (await db_session.scalars(select(RefreshToken))).all()
    assert [s.token_hash for s in stored] == [digest(pair["refresh_token"])]
    assert pair["refresh_token"] not in {s.token_hash for s in stored}


async def test_refresh_rotates_and_a_reused_token_revokes_the_whole_family(
    client: AsyncClient, user: dict[str, Any], db_session: AsyncSession
) -> None:
    first = await log_in(client)
    second = (
        await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    third = await client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert third.status_code == 200
    assert (
        len({first["refresh_token"], second["refresh_token"], third.json()["refresh_token"]}) == 3
    )

    replayed = await client.post(
        "/api/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    latest = await client.post(
        "/api/auth/refresh", json={"refresh_token": third.json()["refresh_token"]}
    )

    assert replayed.status_code == 401
    assert replayed.json() == {"detail": "Invalid or expired refresh token"}
    assert latest.status_code == 401  # the thief's (or the user's) newest token died too
    assert (await client.get("/api/users/me", headers=bearer(third.json()))).status_code == 401
    stored = (await db_session.scalars(select(RefreshToken))).all()
    assert len(stored) == 3
    assert all(s.revoked_at is not None for s in stored)


async def test_other_sessions_survive_a_reuse_in_one(
    client: AsyncClient, user: dict[str, Any]
) -> None:
    phone, laptop = await log_in(client), await log_in(client)
    await client.post("/api/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    await client.post("/api/auth/refresh", json={"refresh_token": phone["refresh_token"]})

    assert (await client.get("/api/users/me", headers=bearer(laptop))).status_code == 200


async def test_logout_revokes_the_session(client: AsyncClient, user: dict[str, Any]) -> None:
    pair = await log_in(client)

    out = await client.post("/api/auth/logout", json={"refresh_token": pair["refresh_token"]})
    again = await client.post("/api/auth/logout", json={"refresh_token": pair["refresh_token"]})
    unknown = await client.post("/api/auth/logout", json={"refresh_token": "never-issued"})

    assert (out.status_code, again.status_code, unknown.status_code) == (204, 204, 204)
    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refreshed.status_code == 401
    assert (await client.get("/api/users/me", headers=bearer(pair))).status_code == 401


async def test_a_password_reset_revokes_every_session_at_once(
    client: AsyncClient, user: dict[str, Any], outbox: Outbox
) -> None:
    pair = await log_in(client)
    assert (await client.get("/api/users/me", headers=bearer(pair))).status_code == 200
    await client.post("/api/auth/forgot-password", json={"email": user["email"]})

    reset = await client.post(
        "/api/auth/reset-password",
        json={"token": token_from(outbox), "new_password": NEW_PASSWORD},
    )

    assert reset.status_code == 204
    assert (await client.get("/api/users/me", headers=bearer(pair))).status_code == 401
    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refreshed.status_code == 401


@pytest.mark.parametrize("token", ["", "x" * 201])
async def test_a_malformed_refresh_token_is_422(client: AsyncClient, token: str) -> None:
    response = await client.post("/api/auth/refresh", json={"refresh_token": token})

    assert response.status_code == 422
