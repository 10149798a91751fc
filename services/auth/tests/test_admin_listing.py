"""``GET /api/admin/users``: every account, oldest first, in pages walked by cursor."""

import uuid
from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.models import User, utcnow
from inkwell_testing.tokens import TestSigner

pytestmark = pytest.mark.anyio


@pytest.fixture
async def accounts(db_session: AsyncSession) -> list[str]:
    """Seven accounts, two of them created in the same instant; their ids, oldest first."""
    start = utcnow()
    stamps = [start + timedelta(seconds=i) for i in (0, 1, 2, 3, 3, 4, 5)]
    users = [
        User(
            id=uuid.uuid4(),
            username=f"member{i}",
            email=f"member{i}@example.com",
            hashed_password="not-a-real-hash",
            roles=["user"],
            created_at=stamp,
        )
        for i, stamp in enumerate(stamps)
    ]
    db_session.add_all(users)
    await db_session.commit()
    return [str(u.id) for u in sorted(users, key=lambda u: (u.created_at, u.id))]


async def test_walking_the_cursor_lists_every_account_once_oldest_first(
    client: AsyncClient, signer: TestSigner, accounts: list[str]
) -> None:
    admin = signer.bearer(roles=["admin"])
    pages = [(await client.get("/api/admin/users", params={"limit": 3}, headers=admin)).json()]
    while pages[-1]["next_cursor"]:
        params = {"limit": 3, "cursor": pages[-1]["next_cursor"]}
        pages.append((await client.get("/api/admin/users", params=params, headers=admin)).json())

    assert [[u["id"] for u in p["items"]] for p in pages] == [
        accounts[0:3],
        accounts[3:6],
        accounts[6:7],
    ]
    assert [p["has_more"] for p in pages] == [True, True, False]


async def test_the_total_is_counted_only_when_asked_for(
    client: AsyncClient, signer: TestSigner, accounts: list[str]
) -> None:
    admin = signer.bearer(roles=["admin"])

    plain = await client.get("/api/admin/users", headers=admin)
    counted = await client.get("/api/admin/users", params={"total": "true"}, headers=admin)

    assert (plain.json()["total"], counted.json()["total"]) == (None, len(accounts))


async def test_a_deep_skip_is_422_pointing_to_the_cursor(
    client: AsyncClient, signer: TestSigner
) -> None:
    response = await client.get(
        "/api/admin/users", params={"skip": 1001}, headers=signer.bearer(roles=["admin"])
    )

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "skip"]
    assert "cursor" in error["msg"]


@pytest.mark.parametrize("cursor", ["garbage", "", "A" * 34, "%00"])
async def test_a_garbage_cursor_is_422(
    client: AsyncClient, signer: TestSigner, cursor: str
) -> None:
    response = await client.get(
        "/api/admin/users", params={"cursor": cursor}, headers=signer.bearer(roles=["admin"])
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


async def test_the_listing_needs_an_admin_before_it_reads_the_cursor(
    client: AsyncClient, signer: TestSigner
) -> None:
    response = await client.get(
        "/api/admin/users", params={"cursor": "garbage"}, headers=signer.bearer(roles=["user"])
    )

    assert response.status_code == 403
