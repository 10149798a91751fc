"""Small composable fixtures for the auth suite: settings → app → client → user → headers."""

from collections.abc import AsyncIterator, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.api.deps import get_jobs, get_sessions
from auth_service.core.config import AuthSettings
from auth_service.jobs import RequestJobs
from auth_service.main import create_app
from auth_service.models import Base
from auth_service.throttle import LoginThrottle
from inkwell_runtime.db import get_db_session
from inkwell_testing.postgres import postgres_fixtures, serving_session
from inkwell_testing.tokens import TestSigner

PASSWORD = "correct horse battery"
ADMIN_EMAIL = "admin@example.com"


@dataclass
class Outbox:
    """A fake email sender: keeps what would have been sent."""

    sent: list[dict[str, str]] = field(default_factory=list)

    async def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append({"to": to, "subject": subject, "body": body})


# The real database: schema once per session, each test in a rolled-back transaction.
engine, db_session = postgres_fixtures("auth", Base.metadata)


def auth_settings() -> AuthSettings:
    # Real Argon2, at the lowest cost, so the suite stays fast.
    return AuthSettings(
        environment="test",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        bootstrap_admin_emails=[ADMIN_EMAIL],
    )


@pytest.fixture
def settings() -> AuthSettings:
    return auth_settings()


@pytest.fixture(scope="session")
def suite_outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def outbox(suite_outbox: Outbox) -> Outbox:
    """The suite app's outbox, emptied before this test sends anything."""
    suite_outbox.sent.clear()
    return suite_outbox


@pytest.fixture(scope="session")
def suite_app(signer: TestSigner, suite_outbox: Outbox) -> FastAPI:
    """One app for the suite, as in production one app serves every request: FastAPI prepares
    an app's routes on its first request, which cost more than most tests here do."""
    return create_app(auth_settings(), signing_key=signer.key, email_sender=suite_outbox)


@pytest.fixture
def app(suite_app: FastAPI, db_session: AsyncSession, outbox: Outbox) -> Iterator[FastAPI]:
    """The suite's app on this test's rolled-back session and emptied outbox; every override
    (a test's own) is removed when the test ends."""
    with serving_session(suite_app, get_db_session, db_session) as app:
        # Background work (reset emails) opens "its own" session: this test's, too.
        app.dependency_overrides[get_sessions] = lambda: lambda: nullcontext(db_session)
        # ... and runs within the request, so it is done when the test client returns.
        app.dependency_overrides[get_jobs] = RequestJobs
        # Failed logins are counted per account: each test starts with none.
        app.state.login_throttle = LoginThrottle(app.state.settings.login_failure_limit)
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://auth.test") as client:
        yield client


async def register(
    client: AsyncClient, username: str = "alice", email: str | None = None
) -> dict[str, Any]:
    response = await client.post(
        "/api/auth/register",
        json={
            "username": username,
            "email": email or f"{username}@example.com",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def login(client: AsyncClient, username: str) -> dict[str, str]:
    response = await client.post(
        "/api/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def user(client: AsyncClient) -> dict[str, Any]:
    return await register(client)


@pytest.fixture
async def auth_headers(client: AsyncClient, user: dict[str, Any]) -> dict[str, str]:
    return await login(client, user["username"])
