"""DELETE the picture: gone from the bucket, and only the caller's."""

import uuid
from typing import Any

import pytest
from httpx import AsyncClient

pytestmark = pytest.mark.anyio

OWN = "/api/users/me/profile-picture"


async def test_delete_removes_the_object(
    client: AsyncClient,
    upload: Any,
    bucket: Any,
    auth_headers: dict[str, str],
    user_id: uuid.UUID,
    png: bytes,
) -> None:
    await upload(png)

    response = await client.delete(OWN, headers=auth_headers)

    assert response.status_code == 204
    assert response.content == b""
    assert bucket.get(f"profile_pics/{user_id}") is None
    assert (await client.get(f"/api/users/{user_id}/profile-picture")).status_code == 404


async def test_deleting_nothing_is_still_204(
    client: AsyncClient, bucket: Any, auth_headers: dict[str, str]
) -> None:
    response = await client.delete(OWN, headers=auth_headers)

    assert response.status_code == 204
    assert bucket.keys() == []


async def test_delete_leaves_other_users_pictures(
    client: AsyncClient,
    upload: Any,
    bucket: Any,
    auth_headers: dict[str, str],
    signer: Any,
    png: bytes,
) -> None:
    other = uuid.uuid4()
    await upload(png)
    await upload(png, headers=signer.bearer(user_id=other))

    await client.delete(OWN, headers=auth_headers)

    assert bucket.keys() == [f"profile_pics/{other}"]
