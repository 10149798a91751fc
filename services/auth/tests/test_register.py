import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from auth_service.core.config import AuthSettings
from auth_service.main import create_app
from auth_service.models import Base, User
from inkwell_testing.postgres import truncate_all

from .conftest import PASSWORD, register

pytestmark = pytest.mark.anyio


async def test_register_returns_the_user_without_any_password(
    client: AsyncClient, db_session: AsyncSession
) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"username": "alice", "email": "Alice@Example.com", "password": PASSWORD},
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "username", "email", "roles", "created_at"}
    assert uuid.UUID(body["id"])
    assert body["username"] == "alice"
    assert body["email"] == "alice@example.com"
    assert body["roles"] == ["user"]
    stored = await db_session.scalar(select(User).where(User.username == "alice"))
    assert stored is not None
    assert stored.hashed_password.startswith("$argon2")
    assert PASSWORD not in stored.hashed_password


async def test_bootstrap_admin_email_gets_the_admin_role(client: AsyncClient) -> None:
    body = await register(client, "root", "admin@example.com")

    assert body["roles"] == ["user", "admin"]


@pytest.mark.parametrize(
    ("second", "detail"),
    [
        ({"username": "bob", "email": "ALICE@example.com"}, "Email already registered"),
        ({"username": "Alice", "email": "other@example.com"}, "Username already taken"),
    ],
)
async def test_duplicates_are_409(client: AsyncClient, second: dict[str, str], detail: str) -> None:
    await register(client, "alice")

    response = await client.post("/api/auth/register", json={**second, "password": PASSWORD})

    assert response.status_code == 409
    assert response.json() == {"detail": detail}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "ab"),
        ("username", "x" * 33),
        ("username", "has space"),
        ("username", "<script>"),
        ("email", "not-an-email"),
        ("email", ""),
        ("password", "short"),
        ("password", "p" * 129),
        ("password", None),
    ],
)
async def test_invalid_registration_is_422_and_stores_nothing(
    client: AsyncClient, db_session: AsyncSession, field: str, value: object
) -> None:
    payload = {
        "username": "valid_name",
        "email": "valid@example.com",
        "password": PASSWORD,
        field: value,
    }

    response = await client.post("/api/auth/register", json=payload)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert await db_session.scalar(select(func.count()).select_from(User)) == 0


async def test_non_json_body_is_422(client: AsyncClient) -> None:
    response = await client.post(
        "/api/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 422


@pytest.fixture
async def committed_app(engine: AsyncEngine, settings: AuthSettings) -> AsyncIterator[FastAPI]:
    """The app on real, committing sessions: races need separate connections and transactions."""
    from inkwell_runtime.db import make_sessionmaker

    app = create_app(settings)
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    yield app
    await truncate_all(engine, Base.metadata)


@pytest.mark.parametrize("clash", ["email", "username"])
async def test_concurrent_duplicate_registrations_give_one_201_and_409s(
    committed_app: FastAPI,
    engine: AsyncEngine,
    clash: str,
) -> None:
    async with AsyncClient(
        transport=ASGITransport(app=committed_app), base_url="http://auth.test"
    ) as client:

        async def attempt(i: int) -> int:
            username = "racer" if clash == "username" else f"racer{i}"
            email = "race@example.com" if clash == "email" else f"racer{i}@example.com"
            response = await client.post(
                "/api/auth/register",
                json={"username": username, "email": email, "password": PASSWORD},
            )
            assert response.status_code in (201, 409), response.text
            return response.status_code

        codes = await asyncio.gather(*(attempt(i) for i in range(8)))

    assert sorted(codes) == [201] + [409] * 7
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(User)) == 1
