"""Internal routes take a service token, never a user's, and only from the services named."""

from collections.abc import AsyncIterator

import pytest
from fastapi import APIRouter, Depends
from httpx import ASGITransport, AsyncClient

from inkwell_runtime.app import build_service_app
from inkwell_runtime.service_identity import issue_service_token, require_service
from inkwell_runtime.settings import ServiceSettings
from inkwell_testing.tokens import TestSigner

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(signer: TestSigner) -> AsyncIterator[AsyncClient]:
    router = APIRouter()

    @router.delete("/internal/users/{user_id}", status_code=204)
    async def erase(user_id: str, caller: str = Depends(require_service("auth"))) -> None: ...

    app = build_service_app(
        ServiceSettings(environment="test"),
        name="svc",
        description="",
        routers=[router],
        token_verifier=signer.verifier(),
    )
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://svc") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_service_token_from_auth_is_accepted(
    client: AsyncClient, signer: TestSigner
) -> None:
    token = issue_service_token(signer.key, service="auth", issuer=signer.issuer)

    assert (await client.delete("/internal/users/1", headers=bearer(token))).status_code == 204


async def test_a_users_token_is_refused(client: AsyncClient, signer: TestSigner) -> None:
    response = await client.delete("/internal/users/1", headers=signer.bearer(roles=["admin"]))

    assert response.status_code == 401
    assert response.json() == {"detail": "A service token is required"}


async def test_another_service_or_a_foreign_key_is_refused(
    client: AsyncClient, signer: TestSigner
) -> None:
    other = issue_service_token(signer.key, service="media", issuer=signer.issuer)
    forged = issue_service_token(signer.foreign_key, service="auth", issuer=signer.issuer)
    expired = issue_service_token(signer.key, service="auth", issuer=signer.issuer, ttl_seconds=-1)

    assert (await client.delete("/internal/users/1", headers=bearer(other))).status_code == 403
    for token in (forged, expired, "not-a-jwt"):
        assert (await client.delete("/internal/users/1", headers=bearer(token))).status_code == 401
    assert (await client.delete("/internal/users/1")).status_code == 401
