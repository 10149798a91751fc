"""Auth's erasure of a deleted account: only with a service token, idempotent."""

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from inkwell_testing.erasure import erase_as_auth
from inkwell_testing.tokens import TestSigner

from .conftest import Caller, count_posts, create_post

pytestmark = pytest.mark.anyio


async def test_auth_erases_every_post_of_a_deleted_author_and_only_theirs(
    client: AsyncClient, signer: TestSigner, alice: Caller, bob: Caller, db_session: AsyncSession
) -> None:
    for title in ("one", "two"):
        await create_post(client, alice.headers(signer), title, "x")
    await create_post(client, bob.headers(signer), "bob's", "x")
    await erase_as_auth(client, signer, alice.id, alice.headers(signer))
    assert await count_posts(db_session) == 1
