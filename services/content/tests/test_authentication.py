"""Authentication, both ways a test can do it, and the real path to auth's keys.

1. ``create_app(token_verifier=signer.verifier())`` (the ``client`` fixture): real RS256
   tokens, checked against the test key, no HTTP.
2. ``act_as(caller)``: ``dependency_overrides`` of the current claims, no token at all.
3. No verifier given: the lifespan builds the production one over ``AUTH_JWKS_URL``, here
   answered by respx with the test key's JWKS (no network), so the fetch, the cache and
   the refresh on an unknown ``kid`` are exercised for real.
"""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
import respx
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from content_service.api.deps import get_db_session
from content_service.core.config import ContentSettings
from content_service.main import create_app
from inkwell_runtime.jwt import SigningKey
from inkwell_testing.apps import served
from inkwell_testing.tokens import TestSigner

from .conftest import Caller, count_posts

pytestmark = pytest.mark.anyio

NEW_POST = {"title": "Hello", "content": "World"}

BAD_TOKENS: dict[str, Callable[[TestSigner, Caller], str]] = {
    "garbage": lambda s, c: "not.a.jwt",
    "expired": lambda s, c: s.expired(user_id=c.id),
    "foreign key": lambda s, c: s.foreign(user_id=c.id),
    "alg none": lambda s, c: s.alg_none(user_id=c.id),
    "hs256 with public key": lambda s, c: s.hs256_with_public_key(user_id=c.id),
    "wrong audience": lambda s, c: s.token(user_id=c.id, aud="someone-else"),
    "wrong issuer": lambda s, c: s.token(user_id=c.id, iss="evil"),
    "unknown kid": lambda s, c: s.foreign_key.sign(s.claims(user_id=c.id)),
    "sub not a uuid": lambda s, c: s.token(sub="admin"),
}


@pytest.mark.parametrize("make_token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
async def test_bad_tokens_are_401_and_write_nothing(
    client: AsyncClient,
    db_session: AsyncSession,
    signer: TestSigner,
    alice: Caller,
    make_token: Any,
) -> None:
    headers = {"Authorization": f"Bearer {make_token(signer, alice)}"}

    response = await client.post("/api/posts", json=NEW_POST, headers=headers)

    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials"}
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert await count_posts(db_session) == 0


async def test_claims_overridden_without_any_token(
    client: AsyncClient, act_as: Callable[[Caller], None], bob: Caller
) -> None:
    """dependency_overrides: the test is about posting, not about getting a token."""
    act_as(bob)

    response = await client.post("/api/posts", json=NEW_POST)

    assert response.status_code == 201
    assert response.json()["author"] == {"id": str(bob.id), "username": "bob"}


JWKS_URL = "http://auth.test/api/auth/jwks.json"

RemoteApp = Callable[..., AbstractAsyncContextManager[AsyncClient]]


@pytest.fixture
def auth_keys() -> Iterator[respx.MockRouter]:
    """Stands in for auth's JWKS endpoint; any other outgoing request fails the test."""
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router


@pytest.fixture
def remote_app(settings: ContentSettings, db_session: AsyncSession) -> RemoteApp:
    """Starts the app as deployed (no verifier given, lifespan run), JWKS URL on respx."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[AsyncClient]:
        configured = settings.model_copy(update={"auth_jwks_url": JWKS_URL, **overrides})
        app: FastAPI = create_app(configured)
        app.dependency_overrides[get_db_session] = lambda: db_session
        async with served(app, base_url="http://content.test") as c:
            yield c

    return start


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_remote_jwks_is_fetched_once_and_cached(
    remote_app: RemoteApp, auth_keys: respx.MockRouter, signer: TestSigner, alice: Caller
) -> None:
    jwks = auth_keys.get(JWKS_URL).respond(json=signer.key.jwks())

    async with remote_app() as client:
        first = await client.post("/api/posts", json=NEW_POST, headers=alice.headers(signer))
        second = await client.post("/api/posts", json=NEW_POST, headers=alice.headers(signer))

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["author"] == {"id": str(alice.id), "username": "alice"}
    assert jwks.call_count == 1


async def test_a_rotated_key_is_picked_up_by_refreshing_on_its_unknown_kid(
    remote_app: RemoteApp, auth_keys: respx.MockRouter, signer: TestSigner, alice: Caller
) -> None:
    """Auth rotates its key: the first token with the new kid refreshes the cached JWKS."""
    rotated = SigningKey.generate(bits=1024)
    jwks = auth_keys.get(JWKS_URL).mock(
        side_effect=[
            httpx.Response(200, json=signer.key.jwks()),
            httpx.Response(200, json={"keys": [signer.key.public_jwk, rotated.public_jwk]}),
        ]
    )
    new_token = rotated.sign(signer.claims(user_id=alice.id, username="alice"))

    async with remote_app(jwks_min_refresh_seconds=0) as client:
        before = await client.post("/api/posts", json=NEW_POST, headers=alice.headers(signer))
        after = await client.post("/api/posts", json=NEW_POST, headers=bearer(new_token))

    assert (before.status_code, after.status_code) == (201, 201)
    assert jwks.call_count == 2


async def test_forged_kids_cannot_flood_auth_with_refreshes(
    remote_app: RemoteApp, auth_keys: respx.MockRouter, signer: TestSigner
) -> None:
    """Unknown kids refresh at most once per JWKS_MIN_REFRESH_SECONDS (here an hour)."""
    jwks = auth_keys.get(JWKS_URL).respond(json=signer.key.jwks())
    forged = [SigningKey.generate(bits=1024).sign(signer.claims()) for _ in range(3)]

    async with remote_app(jwks_min_refresh_seconds=3600) as client:
        codes = [
            (await client.post("/api/posts", json=NEW_POST, headers=bearer(t))).status_code
            for t in forged
        ]

    assert codes == [401, 401, 401]
    assert jwks.call_count == 1


@pytest.mark.parametrize("kind", ["expired", "foreign key"])
async def test_remote_path_rejects_expired_and_foreign_tokens(
    remote_app: RemoteApp,
    auth_keys: respx.MockRouter,
    db_session: AsyncSession,
    signer: TestSigner,
    alice: Caller,
    kind: str,
) -> None:
    auth_keys.get(JWKS_URL).respond(json=signer.key.jwks())

    async with remote_app() as client:
        response = await client.post(
            "/api/posts", json=NEW_POST, headers=bearer(BAD_TOKENS[kind](signer, alice))
        )

    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials"}
    assert await count_posts(db_session) == 0


@pytest.mark.parametrize(
    "outage",
    [httpx.ConnectError("connection refused"), httpx.Response(500), httpx.Response(404)],
    ids=["unreachable", "500", "404"],
)
async def test_auth_keys_unavailable_is_503_not_401(
    remote_app: RemoteApp,
    auth_keys: respx.MockRouter,
    db_session: AsyncSession,
    signer: TestSigner,
    alice: Caller,
    outage: Exception | httpx.Response,
) -> None:
    """A token cannot be checked while auth is down (and never was up since this replica
    started): say so (503), do not call it invalid."""
    route = auth_keys.get(JWKS_URL)
    if isinstance(outage, Exception):
        route.mock(side_effect=outage)
    else:
        route.mock(return_value=outage)

    async with remote_app() as client:
        response = await client.post("/api/posts", json=NEW_POST, headers=alice.headers(signer))

    assert response.status_code == 503
    assert response.json() == {"detail": "Auth service unavailable: cannot fetch signing keys"}
    assert await count_posts(db_session) == 0


async def test_reading_needs_no_keys(remote_app: RemoteApp, auth_keys: respx.MockRouter) -> None:
    """Public routes answer while auth has never been reachable (the keys are fetched at start
    and asked for again by /readyz, which says not ready meanwhile, but reading needs none)."""
    auth_keys.get(JWKS_URL).mock(side_effect=httpx.ConnectError("connection refused"))

    async with remote_app() as client:
        response = await client.get("/api/posts")
        ready = await client.get("/readyz")

    assert response.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["checks"]["signing_keys"] == "down"
