"""Small composable fixtures for the auth suite: settings → app → client → user → headers."""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
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


@contextmanager
def for_this_test(suite_app: FastAPI, db_session: AsyncSession) -> Iterator[FastAPI]:
    """A suite app on this test's rolled-back session; every override (a test's own) is removed
    when the test ends."""
    with serving_session(suite_app, get_db_session, db_session) as app:
        # Background work (reset emails) opens "its own" session: this test's, too.
        app.dependency_overrides[get_sessions] = lambda: lambda: nullcontext(db_session)
        # ... and runs within the request, so it is done when the test client returns.
        app.dependency_overrides[get_jobs] = RequestJobs
        # Failed logins are counted per account: each test starts with none.
        app.state.login_throttle = LoginThrottle(app.state.settings.login_failure_limit)
        yield app


@asynccontextmanager
async def client_of(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://auth.test") as client:
        yield client


@pytest.fixture
def app(suite_app: FastAPI, db_session: AsyncSession, outbox: Outbox) -> Iterator[FastAPI]:
    """The suite's app on this test's rolled-back session and emptied outbox."""
    with for_this_test(suite_app, db_session) as app:
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with client_of(app) as client:
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


# --- Cognito (AUTH_PROVIDER=cognito) ------------------------------------------------------
# moto in server mode (aioboto3 cannot use moto's in-process mock): one server, one user pool,
# one app client and one confirmed user for the whole session; each test's own users are new.

COGNITO_PASSWORD = "Correct horse battery 9"
"""Meets the pool's policy (an uppercase letter) as well as Inkwell's."""


@dataclass(frozen=True)
class CognitoPool:
    endpoint: str
    region: str
    pool_id: str
    client_id: str
    username: str
    """A confirmed user created in the pool directly, never through Inkwell."""
    email: str

    def boto(self) -> Any:
        import boto3

        return boto3.client("cognito-idp", region_name=self.region, endpoint_url=self.endpoint)


@pytest.fixture(scope="session")
def moto_cognito() -> Iterator[str]:
    from inkwell_testing.moto import moto_server

    with pytest.MonkeyPatch.context() as env, moto_server() as endpoint:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            env.setenv(name, "testing")  # moto checks no credential; botocore wants some
        yield endpoint


@pytest.fixture(scope="session")
def cognito_pool(moto_cognito: str) -> CognitoPool:
    """A user pool (uppercase required: stricter than Inkwell), an app client without a secret
    (USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH), the ``admin`` group and one confirmed user."""
    import boto3

    idp = boto3.client("cognito-idp", region_name="eu-west-1", endpoint_url=moto_cognito)
    pool = idp.create_user_pool(
        PoolName="inkwell-test",
        Policies={"PasswordPolicy": {"MinimumLength": 8, "RequireUppercase": True}},
    )["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool,
        ClientName="inkwell",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    idp.create_group(UserPoolId=pool, GroupName="admin")
    idp.sign_up(
        ClientId=client,
        Username="carol",
        Password=COGNITO_PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "carol@example.com"}],
    )
    idp.admin_confirm_sign_up(UserPoolId=pool, Username="carol")
    return CognitoPool(moto_cognito, "eu-west-1", pool, client, "carol", "carol@example.com")


def cognito_settings(pool: CognitoPool, **overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "auth_provider": "cognito",
        "cognito_region": pool.region,
        "cognito_user_pool_id": pool.pool_id,
        "cognito_client_id": pool.client_id,
        "cognito_endpoint_url": pool.endpoint,
        "cognito_jwks_url": f"{pool.endpoint}/{pool.pool_id}/.well-known/jwks.json",
        "cognito_revoke_tokens": False,  # moto 5.2.5 does not implement RevokeToken
        "outbox_worker": False,
        **overrides,
    }
    return AuthSettings(**{**auth_settings().model_dump(), **values})


@pytest.fixture(scope="session")
async def cognito_suite_app(
    cognito_pool: CognitoPool, signer: TestSigner, suite_outbox: Outbox
) -> AsyncIterator[FastAPI]:
    """One Cognito app for the suite, its lifespan run (the Cognito client, the pool's JWKS)."""
    from asgi_lifespan import LifespanManager

    app = create_app(
        cognito_settings(cognito_pool), signing_key=signer.key, email_sender=suite_outbox
    )
    async with LifespanManager(app):
        yield app


@pytest.fixture
def cognito_app(
    cognito_suite_app: FastAPI, db_session: AsyncSession, outbox: Outbox
) -> Iterator[FastAPI]:
    with for_this_test(cognito_suite_app, db_session) as app:
        yield app


@pytest.fixture
async def cognito_client(cognito_app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with client_of(cognito_app) as client:
        yield client


@pytest.fixture
async def cognito_tokens(cognito_client: AsyncClient, cognito_pool: CognitoPool) -> dict[str, Any]:
    """The pool's confirmed user logged in through Inkwell: real Cognito tokens."""
    response = await cognito_client.post(
        "/api/auth/login", json={"username": cognito_pool.username, "password": COGNITO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens
