"""Media settings (environment variables; see the README's table)."""

from typing import Any
from urllib.parse import urlsplit

from aiobotocore.config import AioConfig
from pydantic import Field, SecretStr

from inkwell_runtime.guard import GuardLimits
from inkwell_runtime.settings import Environment, ServiceSettings

DEV_BUCKET = "inkwell-media"
DEV_ENDPOINT_URL = "http://127.0.0.1:4566"
"""moto's server locally, LocalStack in compose."""
DEV_CREDENTIAL = "test"
DEV_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})  # noqa: S104 - compared, not bound
MIB = 1024 * 1024
MULTIPART_ALLOWANCE = 64 * 1024
"""Bytes of multipart framing (boundaries, part headers) allowed beyond ``MAX_UPLOAD_BYTES``."""


class MediaSettings(ServiceSettings):
    s3_bucket: str = DEV_BUCKET
    aws_endpoint_url_s3: str | None = None
    aws_endpoint_url: str | None = None
    """Both unset: the local endpoint in development and test, AWS itself in production."""
    aws_access_key_id: str | None = None
    aws_secret_access_key: SecretStr | None = None
    """Both unset: ``test``/``test`` in development and test, botocore's credential chain
    (environment, profile, instance or pod role) in production."""
    aws_default_region: str = "us-east-1"
    s3_connect_timeout_seconds: float = Field(default=2.0, gt=0)
    s3_read_timeout_seconds: float = Field(default=10.0, gt=0)
    s3_max_attempts: int = Field(default=3, ge=1)
    """Total attempts per S3 call, the first included (botocore's ``total_max_attempts``)."""

    max_upload_bytes: int = Field(default=5 * MIB, gt=0)
    max_image_pixels: int = Field(default=25_000_000, gt=0)
    """Width x height above which an image is refused before its pixels are decoded."""
    image_workers: int = Field(default=2, ge=1)
    """Images decoded at once (each in a worker thread); bounds the memory decoding can take."""
    public_base_url: str = DEV_PUBLIC_BASE_URL
    """Where clients reach the public picture route (the gateway)."""
    picture_cache_seconds: int = Field(default=300, ge=0)
    """``max-age`` of the public picture route."""

    def guard_limits(self) -> GuardLimits:
        """The body cap leaves room for the largest upload and its multipart framing."""
        cap = max(self.max_body_bytes, self.max_upload_bytes + MULTIPART_ALLOWANCE)
        return GuardLimits(cap, self.max_json_depth)

    @property
    def endpoint_url(self) -> str | None:
        explicit = self.aws_endpoint_url_s3 or self.aws_endpoint_url
        if explicit or self.environment is Environment.production:
            return explicit
        return DEV_ENDPOINT_URL

    @property
    def creates_bucket(self) -> bool:
        """Development and test create the bucket when absent; production expects it to exist."""
        return self.environment is not Environment.production

    def credentials(self) -> dict[str, str]:
        key_id, secret = self.aws_access_key_id, self.aws_secret_access_key
        if key_id is None and secret is None:
            if self.environment is Environment.production:
                return {}
            return {"aws_access_key_id": DEV_CREDENTIAL, "aws_secret_access_key": DEV_CREDENTIAL}
        creds = {}
        if key_id is not None:
            creds["aws_access_key_id"] = key_id
        if secret is not None:
            creds["aws_secret_access_key"] = secret.get_secret_value()
        return creds

    def s3_client_kwargs(self) -> dict[str, Any]:
        """Everything ``session.client("s3", ...)`` needs, short timeouts included."""
        endpoint = self.endpoint_url
        config = AioConfig(
            connect_timeout=self.s3_connect_timeout_seconds,
            read_timeout=self.s3_read_timeout_seconds,
            retries={"mode": "standard", "total_max_attempts": self.s3_max_attempts},
            # A custom endpoint (LocalStack, moto, MinIO) is rarely reachable as <bucket>.<host>.
            s3={"addressing_style": "path" if endpoint else "auto"},
        )
        kwargs: dict[str, Any] = {
            "region_name": self.aws_default_region,
            "endpoint_url": endpoint,
            "config": config,
            **self.credentials(),
        }
        if endpoint and endpoint.startswith("http://"):
            # No TLS to verify: skips building an unused SSL context (~0.2 s per client).
            kwargs["verify"] = False
        return kwargs

    def insecure_defaults(self) -> list[str]:
        insecure = []
        for name in ("aws_endpoint_url_s3", "aws_endpoint_url"):
            url = getattr(self, name)
            if url and urlsplit(url).hostname in LOCAL_HOSTS:
                insecure.append(name)
        if self.aws_access_key_id == DEV_CREDENTIAL:
            insecure.append("aws_access_key_id")
        secret = self.aws_secret_access_key
        if secret is not None and secret.get_secret_value() == DEV_CREDENTIAL:
            insecure.append("aws_secret_access_key")
        if self.s3_bucket == DEV_BUCKET:
            insecure.append("s3_bucket")
        if self.public_base_url == DEV_PUBLIC_BASE_URL:
            insecure.append("public_base_url")
        return insecure
