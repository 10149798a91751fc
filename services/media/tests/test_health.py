"""/healthz and /readyz (which checks the bucket)."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient

from inkwell_runtime.settings import Environment
from inkwell_testing.tokens import TestSigner
from media_service.core.config import MediaSettings
from media_service.main import create_app
from media_service.storage import PictureStore

pytestmark = pytest.mark.anyio


async def test_startup_creates_the_bucket_in_test(client: AsyncClient, bucket: Any) -> None:
    assert bucket.exists()


async def test_readyz_checks_the_bucket(client: AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"storage": "up"}, "details": {}}


async def test_readyz_recreates_a_missing_bucket_in_test(client: AsyncClient, bucket: Any) -> None:
    """S3 came up empty after the service (compose ordering, a LocalStack restart)."""
    bucket.client.delete_bucket(Bucket=bucket.name)

    response = await client.get("/readyz")

    assert response.status_code == 200
    assert bucket.exists()


@pytest.mark.settings(aws_default_region="eu-west-1")
async def test_the_bucket_is_created_in_the_configured_region(
    client: AsyncClient, bucket: Any
) -> None:
    location = bucket.client.get_bucket_location(Bucket=bucket.name)["LocationConstraint"]

    assert location == "eu-west-1"


@pytest.fixture
async def production_client(
    settings: MediaSettings, s3_session: Any, signer: TestSigner, serve: Any
) -> AsyncIterator[AsyncClient]:
    """Production behaviour against moto. ``model_copy`` skips the validation that (rightly)
    refuses moto's local endpoint in production."""
    production = settings.model_copy(update={"environment": Environment.production})
    app = create_app(production, s3_session=s3_session, token_verifier=signer.verifier())
    async with serve(app) as client:
        yield client


async def test_production_expects_the_bucket_and_never_creates_it(
    production_client: AsyncClient, bucket: Any
) -> None:
    missing = await production_client.get("/readyz")

    assert missing.status_code == 503
    assert missing.json()["checks"] == {"storage": "down"}
    assert not bucket.exists()

    bucket.client.create_bucket(Bucket=bucket.name)
    assert (await production_client.get("/readyz")).status_code == 200


@pytest.mark.settings(aws_default_region="eu-west-1")
async def test_replicas_starting_together_both_get_the_bucket(
    settings: MediaSettings, s3_session: Any, bucket: Any
) -> None:
    """Both may see no bucket and both create it: S3's "you already own it" is success."""
    async with (
        s3_session.client("s3", **settings.s3_client_kwargs()) as first,
        s3_session.client("s3", **settings.s3_client_kwargs()) as second,
    ):
        stores = [PictureStore(first, bucket.name), PictureStore(second, bucket.name)]
        await asyncio.gather(*(store.ensure_bucket("eu-west-1") for store in stores))
        await stores[0].ensure_bucket("eu-west-1")  # and again, once it exists

    assert bucket.exists()
