"""S3 down or misbehaving: a 503 with a clear detail, never a 500, and the service stays up."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient

from inkwell_testing.tokens import TestSigner
from media_service.core.config import MediaSettings
from media_service.main import create_app

pytestmark = pytest.mark.anyio

OWN = "/api/users/me/profile-picture"
UNAVAILABLE = {"detail": "Storage unavailable"}


@pytest.fixture
async def down_client(
    settings: MediaSettings, closed_endpoint: str, s3_session: Any, signer: TestSigner, serve: Any
) -> AsyncIterator[AsyncClient]:
    """The app pointed at a port nothing listens on (one attempt, short timeouts). It starts
    anyway: the bucket is ensured later, by /readyz."""
    down = settings.model_copy(
        update={"aws_endpoint_url_s3": closed_endpoint, "s3_connect_timeout_seconds": 0.5}
    )
    async with serve(
        create_app(down, s3_session=s3_session, token_verifier=signer.verifier())
    ) as client:
        yield client


async def test_every_route_answers_503_when_s3_is_unreachable(
    down_client: AsyncClient, auth_headers: dict[str, str], user_id: Any, png: bytes
) -> None:
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("PUT", OWN, {"files": {"file": ("me.png", png, "image/png")}, "headers": auth_headers}),
        ("GET", OWN, {"headers": auth_headers}),
        ("DELETE", OWN, {"headers": auth_headers}),
        ("GET", f"/api/users/{user_id}/profile-picture", {}),
    ]
    for method, path, kwargs in requests:
        response = await down_client.request(method, path, **kwargs)

        assert response.status_code == 503, (method, path)
        assert response.json() == UNAVAILABLE
        assert response.headers["Retry-After"] == "5"


async def test_readyz_reports_storage_down(down_client: AsyncClient) -> None:
    response = await down_client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "checks": {"storage": "down"},
        "details": {},
    }


async def test_an_s3_error_is_503_not_500(
    client: AsyncClient, bucket: Any, auth_headers: dict[str, str], png: bytes
) -> None:
    """The bucket vanishes behind the service's back: S3 answers NoSuchBucket."""
    bucket.client.delete_bucket(Bucket=bucket.name)

    upload = await client.put(
        OWN, files={"file": ("me.png", png, "image/png")}, headers=auth_headers
    )
    read = await client.get(OWN, headers=auth_headers)

    assert (upload.status_code, upload.json()) == (503, UNAVAILABLE)
    assert (read.status_code, read.json()) == (503, UNAVAILABLE)


@pytest.mark.settings(s3_bucket="ab")  # shorter than S3 allows
async def test_a_bucket_that_cannot_be_created_is_503_not_a_crash(
    client: AsyncClient, auth_headers: dict[str, str], png: bytes
) -> None:
    """A misconfigured S3_BUCKET: the service starts, reports not ready, and says why."""
    ready = await client.get("/readyz")
    upload = await client.put(
        OWN, files={"file": ("me.png", png, "image/png")}, headers=auth_headers
    )

    assert ready.status_code == 503
    assert ready.json()["checks"] == {"storage": "down"}
    assert (upload.status_code, upload.json()) == (503, UNAVAILABLE)
