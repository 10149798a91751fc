"""Small composable fixtures for the media suite: S3 → settings → app → client → user → headers.

S3 is moto in *server* mode: one ``ThreadedMotoServer`` on a free port for the whole session,
its state reset before every test that asks for ``s3``. The app talks to it over real HTTP
through aioboto3; the tests look at the bucket itself through a plain (synchronous) boto3
client. moto's in-process ``mock_aws()`` cannot be used here: it patches botocore's
synchronous HTTP layer, and aiobotocore then fails with
``TypeError: object bytes can't be used in 'await' expression`` (moto#8513).
"""

import io
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aioboto3
import boto3
import httpx
import pytest
from asgi_lifespan import LifespanManager
from botocore.exceptions import ClientError
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from PIL import Image

from inkwell_testing.moto import moto_server
from inkwell_testing.tokens import TestSigner
from media_service.core.config import MediaSettings
from media_service.main import create_app

BUCKET = "inkwell-media-test"
REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
STARTUP_TIMEOUT = 30  # asgi-lifespan's default of 5 s is too tight on a loaded CI machine


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "settings(**overrides): MediaSettings fields this test's app runs with"
    )


# --- S3 ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def moto_api(moto_endpoint: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{moto_endpoint}/moto-api") as client:
        yield client


@pytest.fixture
def s3(moto_endpoint: str, moto_api: httpx.Client) -> str:
    """moto's endpoint, emptied: no bucket, no object left by an earlier test."""
    moto_api.post("/reset").raise_for_status()
    return moto_endpoint


@pytest.fixture
def closed_endpoint() -> str:
    """An endpoint nothing listens on: S3 is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    content_type: str
    etag: str


@dataclass
class Bucket:
    """The bucket as S3 itself reports it (a plain boto3 client, not the app's)."""

    client: Any
    name: str = BUCKET

    def get(self, key: str) -> StoredObject | None:
        try:
            response = self.client.get_object(Bucket=self.name, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "NoSuchKey":
                return None
            raise
        return StoredObject(response["Body"].read(), response["ContentType"], response["ETag"])

    def keys(self) -> list[str]:
        response = self.client.list_objects_v2(Bucket=self.name)
        return [item["Key"] for item in response.get("Contents", [])]

    def exists(self) -> bool:
        try:
            self.client.head_bucket(Bucket=self.name)
        except ClientError:
            return False
        return True


@pytest.fixture(scope="session")
def boto3_client(moto_endpoint: str) -> Any:
    return boto3.session.Session(region_name=REGION, **CREDENTIALS).client(
        "s3", endpoint_url=moto_endpoint
    )


@pytest.fixture
def bucket(s3: str, boto3_client: Any) -> Bucket:
    return Bucket(boto3_client)


@pytest.fixture(scope="session")
async def s3_session(moto_endpoint: str) -> aioboto3.Session:
    """One aioboto3 session for the suite: each new one loads botocore's S3 model again
    (~0.5 s). A first client, made here, loads it once, outside every test's startup."""
    session = aioboto3.Session()
    async with session.client("s3", endpoint_url=moto_endpoint, region_name=REGION, **CREDENTIALS):
        pass
    return session


# --- the app ----------------------------------------------------------------------------


@pytest.fixture
def settings(request: pytest.FixtureRequest, s3: str) -> MediaSettings:
    marker = request.node.get_closest_marker("settings")
    overrides = marker.kwargs if marker else {}
    values: dict[str, Any] = {
        "environment": "test",
        "aws_endpoint_url_s3": s3,
        "s3_bucket": BUCKET,
        "aws_default_region": REGION,
        "s3_max_attempts": 1,
        "public_base_url": "http://gateway.test",
        **CREDENTIALS,
        **overrides,
    }
    return MediaSettings(**values)


@pytest.fixture
def app(settings: MediaSettings, s3_session: aioboto3.Session, signer: TestSigner) -> FastAPI:
    return create_app(settings, s3_session=s3_session, token_verifier=signer.verifier())


@asynccontextmanager
async def _serve(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with (
        LifespanManager(app, startup_timeout=STARTUP_TIMEOUT),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://media.test") as client,
    ):
        yield client


@pytest.fixture
def serve() -> Callable[[FastAPI], AbstractAsyncContextManager[AsyncClient]]:
    """``async with serve(app) as client``: the app running its real lifespan."""
    return _serve


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    """A client over the app's real lifespan (its S3 client, the bucket created at startup)."""
    async with _serve(app) as client:
        yield client


@pytest.fixture
def user_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def auth_headers(signer: TestSigner, user_id: uuid.UUID) -> dict[str, str]:
    return signer.bearer(user_id=user_id)


Upload = Callable[..., Any]


@pytest.fixture
def upload(client: AsyncClient, auth_headers: dict[str, str]) -> Upload:
    """PUT a file as the user: ``await upload(data, filename=..., content_type=...)``."""

    async def put(
        data: bytes, filename: str = "me.png", content_type: str = "image/png", **kwargs: Any
    ) -> httpx.Response:
        return await client.put(
            "/api/users/me/profile-picture",
            files={"file": (filename, data, content_type)},
            headers=kwargs.pop("headers", auth_headers),
            **kwargs,
        )

    return put


# --- images -----------------------------------------------------------------------------


def _make_image(
    fmt: str = "PNG",
    size: tuple[int, int] = (40, 20),
    mode: str = "RGB",
    color: Any = (200, 30, 30),
    **save: Any,
) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=fmt, **save)
    return out.getvalue()


@pytest.fixture
def make_image() -> Callable[..., bytes]:
    """``make_image("JPEG", size=(40, 20), mode="RGB", color=..., **save_options)``."""
    return _make_image


@pytest.fixture
def png() -> bytes:
    return _make_image("PNG")


@pytest.fixture
def jpeg() -> bytes:
    return _make_image("JPEG")
