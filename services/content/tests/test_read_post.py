"""``GET /api/posts/{id}``: public, 404 when it does not exist."""

import uuid
from typing import Any

import pytest
from httpx import AsyncClient

pytestmark = pytest.mark.anyio


async def test_read_a_post_without_a_token(client: AsyncClient, post: dict[str, Any]) -> None:
    response = await client.get(f"/api/posts/{post['id']}")

    assert response.status_code == 200
    assert response.json() == post


async def test_unknown_post_is_404(client: AsyncClient, post: dict[str, Any]) -> None:
    response = await client.get(f"/api/posts/{uuid.uuid4()}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Post not found"}


@pytest.mark.parametrize("post_id", ["42", "not-a-uuid", "' OR 1=1 --"])
async def test_malformed_post_id_is_422(client: AsyncClient, post_id: str) -> None:
    response = await client.get(f"/api/posts/{post_id}")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "post_id"]
