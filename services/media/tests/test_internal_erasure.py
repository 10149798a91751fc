"""Auth's erasure of a deleted account: only with a service token, idempotent."""

import uuid
from typing import Any

import pytest
from httpx import AsyncClient

from inkwell_testing.erasure import erase_as_auth
from inkwell_testing.tokens import TestSigner

pytestmark = pytest.mark.anyio


async def test_auth_erases_a_deleted_users_picture(
    client: AsyncClient,
    signer: TestSigner,
    auth_headers: dict[str, str],
    user_id: uuid.UUID,
    upload: Any,
    png: bytes,
    bucket: Any,
) -> None:
    assert (await upload(png)).status_code == 200
    await erase_as_auth(client, signer, user_id, auth_headers)
    assert bucket.keys() == []
