"""Auth's erasure of a deleted account: only with a service token, idempotent."""

import uuid

import pytest
from httpx import AsyncClient
from pymongo.asynchronous.collection import AsyncCollection

from inkwell_runtime.service_identity import issue_service_token
from inkwell_testing.tokens import TestSigner

pytestmark = pytest.mark.anyio


async def test_auth_erases_a_deleted_users_preferences(
    client: AsyncClient,
    signer: TestSigner,
    headers: dict[str, str],
    user_id: uuid.UUID,
    collection: AsyncCollection,
) -> None:
    saved = await client.put("/api/users/me/preferences", json={"city": "Oslo"}, headers=headers)
    assert saved.status_code == 200
    token = issue_service_token(signer.key, service="auth", issuer=signer.issuer)
    service = {"Authorization": f"Bearer {token}"}

    as_user = await client.delete(f"/internal/users/{user_id}", headers=headers)
    first = await client.delete(f"/internal/users/{user_id}", headers=service)
    again = await client.delete(f"/internal/users/{user_id}", headers=service)

    assert as_user.status_code == 401
    assert (first.status_code, again.status_code) == (204, 204)
    assert await collection.count_documents({"user_id": str(user_id)}) == 0
