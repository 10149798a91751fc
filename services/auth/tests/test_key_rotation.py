"""Key rotation with two auth replicas rolled one at a time, as docs/auth-keys.md describes:
(1) add the new key, published, not signing; wait the JWKS cache lifetime; (2) sign with it;
wait the longest token lifetime; (3) remove the old key. At every moment, every unexpired token
verifies both in another service (the runtime's JWKS client, as content and the others use it)
and at each auth replica (its own key set)."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from jose import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.core.config import AuthSettings
from auth_service.main import create_app
from inkwell_runtime.db import get_db_session
from inkwell_runtime.jwks import RemoteJWKS
from inkwell_runtime.jwt import InvalidToken, SigningKey, TokenVerifier

from .conftest import PASSWORD, auth_settings

pytestmark = pytest.mark.anyio
JWKS_CACHE_SECONDS = 300.0


class Service(httpx.AsyncBaseTransport):
    """A Kubernetes Service in front of auth's replicas: round robin over those running now."""

    def __init__(self) -> None:
        self.replicas: list[FastAPI] = []
        self._next = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        app = self.replicas[self._next % len(self.replicas)]
        self._next += 1
        return await ASGITransport(app=app).handle_async_request(request)


class Rotation:
    """Two auth replicas over one key directory, a verifying service, the tokens issued."""

    def __init__(self, keys: Path, session: AsyncSession, verifier: TokenVerifier) -> None:
        self.keys = keys
        self.session = session
        self.service = Service()
        self.verifier = verifier
        self.tokens: list[tuple[str, int]] = []
        self.verified = 0

    def replica(self, signing_kid: str) -> FastAPI:
        settings = auth_settings().model_copy(
            update={"jwt_keys_dir": self.keys, "jwt_signing_kid": signing_kid}
        )
        app = create_app(AuthSettings.model_validate(settings.model_dump()))
        app.dependency_overrides[get_db_session] = lambda: self.session
        return app

    def client(self) -> AsyncClient:
        return AsyncClient(transport=self.service, base_url="http://auth")

    async def login_on_each_replica(self) -> list[str]:
        kids = []
        async with self.client() as client:
            for _ in self.service.replicas:
                response = await client.post(
                    "/api/auth/login", json={"username": "alice", "password": PASSWORD}
                )
                assert response.status_code == 200, response.text
                token = response.json()["access_token"]
                self.tokens.append((token, jwt.get_unverified_claims(token)["exp"]))
                kids.append(jwt.get_unverified_header(token)["kid"])
        return kids

    async def every_valid_token_verifies(self, clock: time_machine.Traveller) -> None:
        for token, expires in self.tokens:
            if expires <= time.time():
                with pytest.raises(InvalidToken, match="expired"):
                    await self.verifier.verify(token)
                continue
            await self.verifier.verify(token)  # another service
            for app in self.service.replicas:  # each auth replica
                async with AsyncClient(transport=ASGITransport(app=app), base_url="http://a") as c:
                    me = await c.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
                assert me.status_code == 200, me.text
            self.verified += 1

    async def roll(self, signing_kid: str, clock: time_machine.Traveller) -> list[str]:
        """Replace each replica in turn; after each, log in everywhere and verify everything."""
        kids = []
        for index in range(len(self.service.replicas)):
            self.service.replicas[index] = self.replica(signing_kid)
            kids += await self.login_on_each_replica()
            await self.every_valid_token_verifies(clock)
        return kids


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Time moves only when the test skips a wait (``clock.shift``): token lifetimes, the JWKS
    cache and expiry checks all read the runtime's clock, which time-machine moves."""
    with time_machine.travel(datetime.now(UTC).replace(microsecond=0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def verifier(rotation_service: Service) -> Iterator[TokenVerifier]:
    client = httpx.AsyncClient(transport=rotation_service, base_url="http://auth")
    yield TokenVerifier(
        RemoteJWKS(
            "http://auth/api/auth/jwks.json",
            client,
            cache_seconds=JWKS_CACHE_SECONDS,
            min_refresh_seconds=5.0,
        ),
        issuer=auth_settings().jwt_issuer,
        audience=auth_settings().jwt_audience,
    )


@pytest.fixture
def rotation_service() -> Service:
    return Service()


@pytest.fixture
def rotation(
    tmp_path: Path, db_session: AsyncSession, verifier: TokenVerifier, rotation_service: Service
) -> Rotation:
    rotation = Rotation(tmp_path, db_session, verifier)
    rotation.service = rotation_service
    return rotation


def add_key(directory: Path, kid: str) -> None:
    (directory / f"{kid}.pem").write_text(SigningKey.generate(bits=1024).private_pem)


async def register(rotation: Rotation) -> None:
    async with rotation.client() as client:
        response = await client.post(
            "/api/auth/register",
            json={"username": "alice", "email": "alice@example.com", "password": PASSWORD},
        )
    assert response.status_code == 201, response.text


async def test_rotation_rejects_no_valid_token_at_any_step(
    rotation: Rotation, clock: time_machine.Traveller
) -> None:
    add_key(rotation.keys, "old")
    rotation.service.replicas = [rotation.replica("old"), rotation.replica("old")]
    await register(rotation)
    assert await rotation.login_on_each_replica() == ["old", "old"]
    await rotation.every_valid_token_verifies(clock)

    # 1. the new key, published but not signing; then wait until every JWKS cache has it
    add_key(rotation.keys, "new")
    assert set(await rotation.roll("old", clock)) == {"old"}
    clock.shift(JWKS_CACHE_SECONDS)

    # 2. sign with it: while one replica is rolled, both keys sign and both verify
    kids = await rotation.roll("new", clock)
    assert "old" in kids and "new" in kids
    clock.shift(auth_settings().access_token_expire_minutes * 60)

    # 3. every token the old key signed has expired: retire it
    assert all(
        expires <= time.time()
        for token, expires in rotation.tokens
        if jwt.get_unverified_header(token)["kid"] == "old"
    )
    (rotation.keys / "old.pem").unlink()
    assert set(await rotation.roll("new", clock)) == {"new"}
    async with rotation.client() as client:
        published = (await client.get("/api/auth/jwks.json")).json()["keys"]
    assert [key["kid"] for key in published] == ["new"]

    assert rotation.verified >= 20  # tokens checked while still valid, none rejected


async def test_signing_with_an_unpublished_key_rejects_valid_tokens(
    rotation: Rotation, clock: time_machine.Traveller
) -> None:
    """Why step 1 exists: a service that fetched the JWKS moments ago cannot see a key that
    starts signing at once (it refreshes on an unknown kid at most every few seconds)."""
    add_key(rotation.keys, "old")
    rotation.service.replicas = [rotation.replica("old")]
    await register(rotation)
    await rotation.login_on_each_replica()
    await rotation.every_valid_token_verifies(clock)  # the verifier has fetched {old}

    add_key(rotation.keys, "new")
    rotation.service.replicas = [rotation.replica("new")]
    await rotation.login_on_each_replica()
    token, _ = rotation.tokens[-1]

    with pytest.raises(InvalidToken, match="unknown signing key"):
        await rotation.verifier.verify(token)
