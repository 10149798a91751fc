import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.api.deps import get_current_claims
from auth_service.models import User
from contracts.auth import TokenClaims
from inkwell_testing.tokens import TestSigner

from .conftest import login, register

pytestmark = pytest.mark.anyio


async def test_me_returns_the_caller(
    client: AsyncClient, user: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    response = await client.get("/api/users/me", headers=auth_headers)

    assert response.status_code == 200
    assert response.json() == user


async def test_me_without_a_token_is_401_not_authenticated(client: AsyncClient) -> None:
    response = await client.get("/api/users/me")

    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


BAD_TOKENS = {
    "garbage": lambda s, uid: "not.a.jwt",
    "expired": lambda s, uid: s.expired(user_id=uid),
    "foreign key": lambda s, uid: s.foreign(user_id=uid),
    "alg none": lambda s, uid: s.alg_none(user_id=uid),
    "hs256 with public key": lambda s, uid: s.hs256_with_public_key(user_id=uid),
    "wrong audience": lambda s, uid: s.token(user_id=uid, aud="someone-else"),
    "wrong issuer": lambda s, uid: s.token(user_id=uid, iss="evil"),
    "unknown kid": lambda s, uid: s.foreign_key.sign(s.claims(user_id=uid)),
    "sub not a uuid": lambda s, uid: s.token(sub="admin"),
}


@pytest.mark.parametrize("make_token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
async def test_bad_tokens_are_401_could_not_validate(
    client: AsyncClient,
    signer: TestSigner,
    user: dict[str, Any],
    make_token: Callable[[TestSigner, uuid.UUID], str],
) -> None:
    token = make_token(signer, uuid.UUID(user["id"]))

    response = await client.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials"}


async def test_token_of_a_deleted_account_is_rejected(
    client: AsyncClient, auth_headers: dict[str, str], db_session: AsyncSession
) -> None:
    await db_session.execute(delete(User))

    response = await client.get("/api/users/me", headers=auth_headers)

    assert response.status_code == 401


async def test_public_profile_shows_only_id_and_username(
    client: AsyncClient, user: dict[str, Any]
) -> None:
    response = await client.get(f"/api/users/{user['id']}")

    assert response.status_code == 200
    assert response.json() == {"id": user["id"], "username": "alice"}


@pytest.mark.parametrize(("user_id", "status"), [(str(uuid.uuid4()), 404), ("not-a-uuid", 422)])
async def test_unknown_or_malformed_user_id(client: AsyncClient, user_id: str, status: int) -> None:
    response = await client.get(f"/api/users/{user_id}")

    assert response.status_code == status
    if status == 404:
        assert response.json() == {"detail": "User not found"}


async def test_admin_list_is_403_for_a_plain_user(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    response = await client.get("/api/admin/users", headers=auth_headers)

    assert response.status_code == 403
    assert response.json() == {"detail": "Not enough permissions"}


async def test_admin_list_for_a_real_admin_token(client: AsyncClient, user: dict[str, Any]) -> None:
    admin = await register(client, "root", "admin@example.com")
    headers = await login(client, "root")

    response = await client.get("/api/admin/users", headers=headers)

    assert response.status_code == 200
    assert [u["id"] for u in response.json()["items"]] == [user["id"], admin["id"]]


async def test_admin_list_with_claims_overridden(
    app: FastAPI, client: AsyncClient, user: dict[str, Any]
) -> None:
    """dependency_overrides: the test is about the listing, not about getting a token."""
    app.dependency_overrides[get_current_claims] = lambda: TokenClaims(
        sub=uuid.uuid4(), username="ops", roles=["admin"], iat=0, exp=2**31, iss="x", aud="y"
    )

    response = await client.get("/api/admin/users", params={"limit": 1, "skip": 0})

    assert response.status_code == 200
    assert [u["username"] for u in response.json()["items"]] == ["alice"]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"skip": -1}])
async def test_admin_list_bounds(
    app: FastAPI, client: AsyncClient, signer: TestSigner, params: dict[str, int]
) -> None:
    response = await client.get(
        "/api/admin/users", params=params, headers=signer.bearer(roles=["admin"])
    )

    assert response.status_code == 422


# Found by `make fuzz` (schemathesis): an unbounded offset overflowed PostgreSQL's bigint (500).
@pytest.mark.parametrize("skip", [1_001, 2**63])
async def test_an_offset_past_the_bound_is_422_not_a_database_overflow(
    client: AsyncClient, signer: TestSigner, skip: int
) -> None:
    response = await client.get(
        "/api/admin/users", params={"skip": skip}, headers=signer.bearer(roles=["admin"])
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "skip"]


async def test_the_deepest_allowed_offset_is_an_empty_page(
    client: AsyncClient, signer: TestSigner
) -> None:
    response = await client.get(
        "/api/admin/users", params={"skip": 1_000}, headers=signer.bearer(roles=["admin"])
    )

    assert response.status_code == 200
    assert response.json()["items"] == []
