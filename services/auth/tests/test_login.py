from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from httpx import AsyncClient, Response
from jose import jwt

from inkwell_testing.tokens import TestSigner

from .conftest import PASSWORD

pytestmark = pytest.mark.anyio

GetToken = Callable[..., Awaitable[Response]]
"""``await get_token(client, username, password=PASSWORD)``: one of the two login routes."""


async def token_by_form(client: AsyncClient, username: str, password: str = PASSWORD) -> Response:
    return await client.post("/api/auth/token", data={"username": username, "password": password})


async def token_by_json(client: AsyncClient, username: str, password: str = PASSWORD) -> Response:
    return await client.post("/api/auth/login", json={"username": username, "password": password})


@pytest.fixture(params=[token_by_form, token_by_json], ids=["token-form", "login-json"])
def get_token(request: pytest.FixtureRequest) -> GetToken:
    """Both login routes must behave the same: a parametrized fixture runs each test twice."""
    get: GetToken = request.param
    return get


@pytest.mark.parametrize("login_as", ["alice", "ALICE", "alice@example.com", "Alice@Example.COM"])
async def test_login_by_username_or_email_returns_a_verifiable_token(
    client: AsyncClient,
    user: dict[str, Any],
    signer: TestSigner,
    get_token: GetToken,
    login_as: str,
) -> None:
    response = await get_token(client, login_as)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "RS256"
    assert header["kid"] == signer.key.kid
    claims = await signer.verifier().verify(body["access_token"])
    assert str(claims.sub) == user["id"]
    assert claims.username == "alice"
    assert claims.roles == ["user"]
    assert claims.iss == "inkwell-auth"
    assert claims.aud == "inkwell"
    assert claims.exp - claims.iat == 15 * 60


@pytest.mark.parametrize(
    ("login_as", "password"), [("alice", "wrong password"), ("nobody", PASSWORD), ("", "")]
)
async def test_bad_credentials_are_401_with_bearer_challenge(
    client: AsyncClient,
    user: dict[str, Any],
    get_token: GetToken,
    login_as: str,
    password: str,
) -> None:
    response = await get_token(client, login_as, password)

    if login_as == "":
        assert response.status_code == 422
        return
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect username or password"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_jwks_publishes_the_signing_key_without_private_material(
    client: AsyncClient, signer: TestSigner
) -> None:
    response = await client.get("/api/auth/jwks.json")

    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert key["kid"] == signer.key.kid
    assert key["kty"] == "RSA"
    assert key["alg"] == "RS256"
    assert key["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    assert "max-age" in response.headers["Cache-Control"]
