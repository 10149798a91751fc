"""Regressions for what `make fuzz` (schemathesis) found in auth: each was a 500 or an
undocumented status before its fix."""

import pytest
from httpx import AsyncClient

from inkwell_runtime.testing.tokens import TestSigner

pytestmark = pytest.mark.anyio


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


@pytest.mark.parametrize(
    "path", ["/api/auth/register", "/api/auth/login", "/api/auth/forgot-password"]
)
async def test_a_body_that_is_not_utf8_is_422(client: AsyncClient, path: str) -> None:
    response = await client.post(
        path, content=b'{"email": "\xff"}', headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
