"""Accounts through the gateway: register → token → me, and what auth keeps in its database."""

from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from inkwell_e2e.flows import PASSWORD, User, unique
from inkwell_e2e.systems import System

pytestmark = pytest.mark.anyio


async def test_register_then_token_then_me(gateway: httpx.AsyncClient) -> None:
    """The first thing a user does, end to end: the token auth issues opens /api/users/me."""
    username = unique("reader")
    email = f"{username}@example.com"

    created = await gateway.post(
        "/api/auth/register", json={"username": username, "email": email, "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["username"] == username
    assert account["email"] == email
    assert account["roles"] == ["user"]
    assert "password" not in created.text

    token = await gateway.post("/api/auth/token", data={"username": email, "password": PASSWORD})
    assert token.status_code == 200, token.text
    assert token.json()["token_type"] == "bearer"

    me = await gateway.get(
        "/api/users/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert me.status_code == 200, me.text
    assert me.json()["id"] == account["id"]
    assert me.json()["username"] == username


async def test_the_account_row_holds_a_hash_not_the_password(
    alice: User, auth_db: AsyncEngine, system: System
) -> None:
    """The row in auth's PostgreSQL: one user, an argon2 hash, never the password itself
    (with Cognito: no hash at all, the pool keeps the password)."""
    async with auth_db.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT username, hashed_password FROM users WHERE id = :id"),
                {"id": alice.id},
            )
        ).all()
    assert len(rows) == 1
    username, hashed = rows[0]
    assert username == alice.username
    assert hashed == "!cognito" if system.cognito else hashed.startswith("$argon2")
    assert alice.password not in hashed


async def test_duplicate_email_is_409_and_stores_nothing(
    gateway: httpx.AsyncClient, alice: User, auth_db: AsyncEngine
) -> None:
    again = await gateway.post(
        "/api/auth/register",
        json={"username": unique("copycat"), "email": alice.email, "password": PASSWORD},
    )
    assert again.status_code == 409, again.text
    async with auth_db.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM users WHERE lower(email) = lower(:email)"),
            {"email": alice.email},
        )
    assert count == 1


async def test_wrong_password_is_401(gateway: httpx.AsyncClient, alice: User) -> None:
    answer = await gateway.post(
        "/api/auth/token", data={"username": alice.username, "password": "not the password"}
    )
    assert answer.status_code == 401
    assert answer.json() == {"detail": "Incorrect username or password"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic YWxpY2U6cHc="}],
    ids=["no token", "garbage token", "wrong scheme"],
)
async def test_me_without_a_valid_token_is_401(
    gateway: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    answer = await gateway.get("/api/users/me", headers=headers)
    assert answer.status_code == 401
    assert isinstance(answer.json()["detail"], str)


async def test_a_token_from_auth_is_accepted_by_every_service(
    gateway: httpx.AsyncClient, new_user: Callable[..., Awaitable[User]]
) -> None:
    """One login works everywhere: each service verifies the RS256 token against auth's JWKS."""
    user = await new_user("everywhere")
    # Each answer proves the token was verified: no 401 (404 = "nothing stored yet").
    answers = {
        "auth": await gateway.get("/api/users/me", headers=user.headers),
        "content": await gateway.post(
            "/api/posts", json={"title": "hello", "content": "first"}, headers=user.headers
        ),
        "preferences": await gateway.get("/api/users/me/preferences", headers=user.headers),
        "media": await gateway.get("/api/users/me/profile-picture", headers=user.headers),
        "weather": await gateway.get("/api/weather/London", headers=user.headers),
    }
    assert {name: r.status_code for name, r in answers.items()} == {
        "auth": 200,
        "content": 201,
        "preferences": 404,
        "media": 404,
        "weather": 200,
    }
