"""GET the picture: own (private) and anyone's (public), with ETags and cache headers."""

import uuid
from typing import Any

import pytest
from httpx import AsyncClient

from media_service.pictures import etag_matches

pytestmark = pytest.mark.anyio

OWN = "/api/users/me/profile-picture"


def public(user_id: uuid.UUID) -> str:
    return f"/api/users/{user_id}/profile-picture"


@pytest.fixture
async def stored(upload: Any, bucket: Any, user_id: uuid.UUID, jpeg: bytes) -> Any:
    assert (await upload(jpeg, filename="me.jpg", content_type="image/jpeg")).status_code == 200
    return bucket.get(f"profile_pics/{user_id}")


async def test_the_public_route_serves_the_stored_bytes(
    client: AsyncClient, user_id: uuid.UUID, stored: Any
) -> None:
    response = await client.get(public(user_id))

    assert response.status_code == 200
    assert response.content == stored.data
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["ETag"] == stored.etag
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_own_route_serves_the_stored_bytes_privately(
    client: AsyncClient, auth_headers: dict[str, str], stored: Any
) -> None:
    response = await client.get(OWN, headers=auth_headers)

    assert response.status_code == 200
    assert response.content == stored.data
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["ETag"] == stored.etag
    assert response.headers["Cache-Control"] == "private, no-cache"


@pytest.mark.settings(picture_cache_seconds=60)
async def test_the_public_max_age_is_a_setting(
    client: AsyncClient, user_id: uuid.UUID, stored: Any
) -> None:
    response = await client.get(public(user_id))

    assert response.headers["Cache-Control"] == "public, max-age=60"


async def test_a_current_etag_gets_304_without_a_body(
    client: AsyncClient, auth_headers: dict[str, str], user_id: uuid.UUID, stored: Any
) -> None:
    for path, headers in ((public(user_id), {}), (OWN, auth_headers)):
        response = await client.get(path, headers={**headers, "If-None-Match": stored.etag})

        assert response.status_code == 304
        assert response.content == b""
        assert response.headers["ETag"] == stored.etag


async def test_a_stale_etag_gets_the_new_picture(
    client: AsyncClient, upload: Any, user_id: uuid.UUID, stored: Any, png: bytes
) -> None:
    await upload(png)

    response = await client.get(public(user_id), headers={"If-None-Match": stored.etag})

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["ETag"] != stored.etag


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (None, False),
        ("", False),
        ('"abc"', True),
        ('W/"abc"', True),
        ('"other", "abc"', True),
        (' "other" , W/"abc" ', True),
        ("*", True),
        ('"other"', False),
        ('"ab"', False),
        ("abc", False),
    ],
)
def test_if_none_match_uses_the_weak_comparison(header: str | None, matches: bool) -> None:
    assert etag_matches(header, '"abc"') is matches


async def test_no_picture_is_404_on_both_routes(
    client: AsyncClient, auth_headers: dict[str, str], user_id: uuid.UUID
) -> None:
    for path, headers in ((public(user_id), {}), (OWN, auth_headers)):
        response = await client.get(path, headers=headers)

        assert response.status_code == 404
        assert response.json() == {"detail": "No profile picture found"}


async def test_someone_elses_picture_is_public(
    client: AsyncClient, upload: Any, signer: Any, png: bytes
) -> None:
    other = uuid.uuid4()
    await upload(png, headers=signer.bearer(user_id=other))

    response = await client.get(public(other))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"


async def test_a_malformed_user_id_is_422(client: AsyncClient) -> None:
    response = await client.get("/api/users/not-a-uuid/profile-picture")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "user_id"]
