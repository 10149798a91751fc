"""Auth's erasure of a deleted account: only with a service token, idempotent."""

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from inkwell_runtime.service_identity import issue_service_token
from inkwell_testing.tokens import TestSigner

from .conftest import Caller, count_posts, create_post

pytestmark = pytest.mark.anyio


async def test_auth_erases_every_post_of_a_deleted_author_and_only_theirs(
    client: AsyncClient, signer: TestSigner, alice: Caller, bob: Caller, db_session: AsyncSession
) -> None:
    for title in ("one", "two"):
        await create_post(client, alice.headers(signer), title, "x")
    await create_post(client, bob.headers(signer), "bob's", "x")
    token = issue_service_token(signer.key, service="auth", issuer=signer.issuer)
    service = {"Authorization": f"Bearer {token}"}

    as_user = await client.delete(f"/internal/users/{alice.id}", headers=alice.headers(signer))
    first = await client.delete(f"/internal/users/{alice.id}", headers=service)
    again = await client.delete(f"/internal/users/{alice.id}", headers=service)

    assert as_user.status_code == 401
    assert (first.status_code, again.status_code) == (204, 204)
    assert await count_posts(db_session) == 1
