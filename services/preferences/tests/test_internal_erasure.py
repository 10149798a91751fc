"""Auth's erasure of a deleted account: only with a service token, idempotent."""

import uuid

import pytest
from httpx import AsyncClient
from pymongo.asynchronous.collection import AsyncCollection

from inkwell_testing.erasure import erase_as_auth
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
    await erase_as_auth(client, signer, user_id, headers)
    assert await collection.count_documents({"user_id": str(user_id)}) == 0
