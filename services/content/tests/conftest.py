"""Small composable fixtures for the content suite: settings → app → client → callers → posts.

Two ways to be someone, both used in the suite:
- real RS256 tokens from the shared ``signer`` (``alice.headers(signer)``), checked by the
  app's verifier (``create_app(token_verifier=signer.verifier())``);
- ``act_as(caller)``: ``dependency_overrides`` of ``get_current_claims``, no token at all.
"""

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from content_service.api.deps import get_current_claims, get_db_session
from content_service.core.config import ContentSettings
from content_service.main import create_app
from content_service.models import Base, Post
from contracts.auth import TokenClaims
from inkwell_testing.postgres import postgres_fixtures, serving_session
from inkwell_testing.tokens import TestSigner

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Caller:
    """Someone calling the API, as a token from auth would name them."""

    id: uuid.UUID
    username: str
    roles: tuple[str, ...] = ("user",)

    def headers(self, signer: TestSigner) -> dict[str, str]:
        return signer.bearer(user_id=self.id, username=self.username, roles=self.roles)

    def claims(self) -> TokenClaims:
        return TokenClaims(
            sub=self.id,
            username=self.username,
            roles=list(self.roles),
            iat=0,
            exp=2**31,
            iss="inkwell-auth",
            aud="inkwell",
        )


# The real database: schema once per session, each test in a rolled-back transaction.
engine, db_session = postgres_fixtures("content", Base.metadata)


def settings_for(engine: AsyncEngine) -> ContentSettings:
    return ContentSettings(
        environment="test", database_url=engine.url.render_as_string(hide_password=False)
    )


@pytest.fixture
def settings(engine: AsyncEngine) -> ContentSettings:
    return settings_for(engine)


@pytest.fixture(scope="session")
def suite_app(engine: AsyncEngine, signer: TestSigner) -> FastAPI:
    """One app for the suite, as in production one app serves every request: FastAPI prepares
    an app's routes on its first request, which cost more than most tests here do."""
    return create_app(settings_for(engine), token_verifier=signer.verifier())


@pytest.fixture
def app(suite_app: FastAPI, db_session: AsyncSession) -> Iterator[FastAPI]:
    """The suite's app on this test's rolled-back session; every override (``act_as``, a test's
    own) is removed when the test ends."""
    with serving_session(suite_app, get_db_session, db_session) as app:
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://content.test") as c:
        yield c


@pytest.fixture
def alice() -> Caller:
    return Caller(uuid.uuid4(), "alice")


@pytest.fixture
def bob() -> Caller:
    return Caller(uuid.uuid4(), "bob")


@pytest.fixture
def admin() -> Caller:
    return Caller(uuid.uuid4(), "root", ("user", "admin"))


@pytest.fixture
def act_as(app: FastAPI) -> Callable[[Caller], None]:
    """Be ``caller`` without a token: the test is about posts, not about authentication."""

    def act(caller: Caller) -> None:
        app.dependency_overrides[get_current_claims] = caller.claims

    return act


async def create_post(
    client: AsyncClient, headers: dict[str, str], title: str = "Hello", content: str = "World"
) -> dict[str, Any]:
    response = await client.post(
        "/api/posts", json={"title": title, "content": content}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def count_posts(session: AsyncSession) -> int:
    count: int = (await session.execute(select(func.count()).select_from(Post))).scalar_one()
    return count


async def add_posts(
    session: AsyncSession,
    author: Caller,
    count: int,
    *,
    start: datetime = T0,
    step: timedelta = timedelta(minutes=1),
) -> list[Post]:
    """Posts written straight to the database, ``step`` apart: dates the test controls."""
    posts = [
        Post(
            title=f"{author.username} {i:02d}",
            content=f"post number {i}",
            author_id=author.id,
            author_username=author.username,
            date_posted=start + i * step,
            updated_at=start + i * step,
        )
        for i in range(count)
    ]
    session.add_all(posts)
    await session.commit()
    return posts


@pytest.fixture
async def post(client: AsyncClient, alice: Caller, signer: TestSigner) -> dict[str, Any]:
    """One post by alice, created through the API."""
    return await create_post(client, alice.headers(signer), "Alice's first", "Hello from alice")
