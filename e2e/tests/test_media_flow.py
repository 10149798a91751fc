"""Profile pictures across auth, media and S3: what is uploaded is what is served and stored."""

from typing import Any

import httpx
import pytest

from inkwell_e2e.flows import User, png, png_size
from inkwell_e2e.systems import System

pytestmark = pytest.mark.anyio

PICTURE = "/api/users/me/profile-picture"


def upload(data: bytes, name: str = "me.png", content_type: str = "image/png") -> dict[str, Any]:
    return {"files": {"file": (name, data, content_type)}}


async def test_upload_then_get_serves_the_stored_object(
    gateway: httpx.AsyncClient, alice: User, bucket: Any, system: System
) -> None:
    """Upload → GET returns the bytes stored in the bucket, a clean PNG of the same size."""
    original = png(5, 4, text="GPS 59.91N 10.75E")
    stored = await gateway.put(PICTURE, headers=alice.headers, **upload(original))
    assert stored.status_code == 200, stored.text
    meta = stored.json()
    assert meta["user_id"] == alice.id
    assert meta["content_type"] == "image/png"
    assert meta["key"].startswith("profile_pics/")

    mine = await gateway.get(PICTURE, headers=alice.headers)
    assert mine.status_code == 200
    assert mine.headers["content-type"] == "image/png"
    assert len(mine.content) == meta["size"]
    assert png_size(mine.content) == (5, 4)
    assert b"GPS" not in mine.content  # metadata is stripped on the way in

    obj = bucket.get_object(Bucket=system.stores.bucket, Key=meta["key"])
    assert obj["ContentType"] == "image/png"
    assert obj["Body"].read() == mine.content

    public = await gateway.get(f"/api/users/{alice.id}/profile-picture")
    assert public.status_code == 200
    assert public.content == mine.content
    assert "public" in public.headers["cache-control"]
    revalidated = await gateway.get(
        f"/api/users/{alice.id}/profile-picture",
        headers={"If-None-Match": public.headers["etag"]},
    )
    assert revalidated.status_code == 304


async def test_a_rejected_upload_leaves_the_picture_untouched(
    gateway: httpx.AsyncClient, alice: User, bucket: Any, system: System
) -> None:
    """A script named .png is refused by its bytes (415); the stored picture is still there."""
    first = await gateway.put(PICTURE, headers=alice.headers, **upload(png(2, 2)))
    assert first.status_code == 200
    key = first.json()["key"]
    before = bucket.get_object(Bucket=system.stores.bucket, Key=key)["Body"].read()

    script = b"#!/bin/sh\necho pwned\n"
    refused = await gateway.put(PICTURE, headers=alice.headers, **upload(script, "evil.png"))
    assert refused.status_code == 415
    assert refused.json() == {"detail": "Unsupported image type"}

    after = bucket.get_object(Bucket=system.stores.bucket, Key=key)["Body"].read()
    assert after == before
    served = await gateway.get(PICTURE, headers=alice.headers)
    assert served.content == before


async def test_delete_removes_the_object(
    gateway: httpx.AsyncClient, alice: User, bucket: Any, system: System
) -> None:
    stored = await gateway.put(PICTURE, headers=alice.headers, **upload(png()))
    key = stored.json()["key"]

    deleted = await gateway.delete(PICTURE, headers=alice.headers)
    assert deleted.status_code == 204
    gone = await gateway.get(f"/api/users/{alice.id}/profile-picture")
    assert gone.status_code == 404
    assert gone.json() == {"detail": "No profile picture found"}
    listing = bucket.list_objects_v2(Bucket=system.stores.bucket, Prefix=key)
    assert listing.get("KeyCount", 0) == 0


async def test_users_only_touch_their_own_picture(
    gateway: httpx.AsyncClient, alice: User, bob: User
) -> None:
    """``me`` is whoever the token names: Bob's upload does not replace Alice's picture."""
    alices = await gateway.put(PICTURE, headers=alice.headers, **upload(png(3, 3)))
    bobs = await gateway.put(PICTURE, headers=bob.headers, **upload(png(7, 2)))
    assert alices.json()["key"] != bobs.json()["key"]
    served = await gateway.get(f"/api/users/{alice.id}/profile-picture")
    assert png_size(served.content) == (3, 3)


async def test_upload_needs_a_token(gateway: httpx.AsyncClient) -> None:
    answer = await gateway.put(PICTURE, **upload(png()))
    assert answer.status_code == 401
