"""The upload size limit: enforced while the body streams in, never after reading it whole.

Each test starts from a stored picture and checks it is untouched after the refusal: a rejected
upload must never cost the user the picture they had.
"""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient

pytestmark = pytest.mark.anyio

LIMIT = 64 * 1024
BOUNDARY = "limit-test-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
PART_HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
    "Content-Type: image/png\r\n\r\n"
).encode()
PART_TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


class CountingBody:
    """A request body that records how much of it the server pulled."""

    def __init__(self, chunks: int, chunk_size: int = 16 * 1024) -> None:
        self.chunks = chunks
        self.chunk_size = chunk_size
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield PART_HEAD
        for _ in range(self.chunks):
            self.pulled += 1
            yield b"\x89" * self.chunk_size
        yield PART_TAIL


@pytest.fixture
async def previous(upload: Any, bucket: Any, user_id: uuid.UUID, png: bytes) -> Any:
    """The picture the user already has."""
    assert (await upload(png)).status_code == 200
    stored = bucket.get(f"profile_pics/{user_id}")
    assert stored is not None
    return stored


def assert_untouched(bucket: Any, user_id: uuid.UUID, previous: Any) -> None:
    assert bucket.keys() == [f"profile_pics/{user_id}"]
    assert bucket.get(f"profile_pics/{user_id}") == previous


async def put(client: AsyncClient, headers: dict[str, str], **kwargs: Any) -> Any:
    return await client.put(
        "/api/users/me/profile-picture",
        headers={**headers, "Content-Type": MULTIPART, **kwargs.pop("extra_headers", {})},
        **kwargs,
    )


@pytest.mark.settings(max_upload_bytes=LIMIT)
async def test_a_file_one_byte_over_the_limit_is_refused(
    upload: Any, bucket: Any, user_id: uuid.UUID, previous: Any
) -> None:
    response = await upload(b"\x89PNG\r\n\x1a\n" + b"\x00" * (LIMIT - 7))

    assert response.status_code == 413
    assert response.json() == {"detail": "Image too large"}
    assert_untouched(bucket, user_id, previous)


@pytest.mark.settings(max_upload_bytes=LIMIT)
async def test_a_file_of_exactly_the_limit_is_read(upload: Any) -> None:
    """At the limit the size check passes: what answers is the type check."""
    response = await upload(b"x" * LIMIT)

    assert response.status_code == 415


@pytest.mark.settings(max_upload_bytes=LIMIT)
async def test_a_declared_length_over_the_limit_is_refused_before_reading(
    client: AsyncClient,
    auth_headers: dict[str, str],
    bucket: Any,
    user_id: uuid.UUID,
    previous: Any,
) -> None:
    body = CountingBody(chunks=1000)  # ~16 MiB

    response = await put(
        client,
        auth_headers,
        content=body,
        extra_headers={"Content-Length": str(1000 * body.chunk_size + 1024)},
    )

    assert response.status_code == 413
    assert response.json() == {"detail": "Image too large"}
    assert body.pulled == 0
    assert_untouched(bucket, user_id, previous)


@pytest.mark.settings(max_upload_bytes=LIMIT)
async def test_a_streamed_upload_is_cut_off_at_the_limit(
    client: AsyncClient,
    auth_headers: dict[str, str],
    bucket: Any,
    user_id: uuid.UUID,
    previous: Any,
) -> None:
    """No Content-Length (chunked): the server counts, and stops reading past the limit."""
    body = CountingBody(chunks=1000)  # ~16 MiB, 250 times the limit

    response = await put(client, auth_headers, content=body)

    assert response.status_code == 413
    assert body.pulled <= LIMIT // body.chunk_size + 1
    assert_untouched(bucket, user_id, previous)


@pytest.mark.settings(max_upload_bytes=LIMIT)
async def test_a_lying_content_length_does_not_get_past_the_count(
    client: AsyncClient,
    auth_headers: dict[str, str],
    bucket: Any,
    user_id: uuid.UUID,
    previous: Any,
) -> None:
    body = CountingBody(chunks=1000)

    response = await put(client, auth_headers, content=body, extra_headers={"Content-Length": "10"})

    assert response.status_code == 413
    assert body.pulled <= LIMIT // body.chunk_size + 1
    assert_untouched(bucket, user_id, previous)


@pytest.mark.settings(max_upload_bytes=LIMIT)
async def test_padding_in_other_fields_counts_too(
    client: AsyncClient,
    auth_headers: dict[str, str],
    bucket: Any,
    user_id: uuid.UUID,
    previous: Any,
    png: bytes,
) -> None:
    """A small file hidden behind a huge extra field: the whole body is bounded, not just
    the file part."""
    padding = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="padding"\r\n\r\n'.encode()
        + b"p" * (2 * LIMIT + 64 * 1024)
        + b"\r\n"
    )
    file_part = PART_HEAD + png + PART_TAIL

    async def body() -> AsyncIterator[bytes]:
        for start in range(0, len(padding), 8192):
            yield padding[start : start + 8192]
        yield file_part

    response = await put(client, auth_headers, content=body())

    assert response.status_code == 413
    assert_untouched(bucket, user_id, previous)


async def test_an_unparseable_content_length_is_left_to_the_count(
    client: AsyncClient, auth_headers: dict[str, str], png: bytes
) -> None:
    response = await put(
        client,
        auth_headers,
        content=PART_HEAD + png + PART_TAIL,
        extra_headers={"Content-Length": "lots"},
    )

    assert response.status_code == 200


async def test_the_default_limit_is_5_mib(upload: Any) -> None:
    assert (await upload(b"x" * (5 * 1024 * 1024 + 1))).status_code == 413
