"""Pictures in S3, through one aiobotocore client per app.

Every S3 failure other than "no such key" (connection refused, timeouts, throttling, a missing
bucket, denied access) becomes :class:`~inkwell_runtime.errors.ServiceUnavailable`: the client
sees a 503 with a clear detail, the log keeps the real cause.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from inkwell_runtime.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

STORAGE_UNAVAILABLE = "Storage unavailable"
NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


@dataclass(frozen=True)
class StoredPicture:
    content_type: str
    etag: str
    data: bytes | None
    """``None`` when the caller's condition said it already holds this version."""


@contextmanager
def _storage_errors(operation: str) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        logger.warning("S3 %s failed: %s", operation, exc.response.get("Error", {}))
        raise ServiceUnavailable(STORAGE_UNAVAILABLE) from exc
    except BotoCoreError as exc:
        logger.warning("S3 %s failed: %r", operation, exc)
        raise ServiceUnavailable(STORAGE_UNAVAILABLE) from exc


def _is_not_found(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in NOT_FOUND_CODES


class PictureStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    async def put(self, key: str, data: bytes, content_type: str) -> str:
        """Store (or replace, atomically) the object; its ETag."""
        with _storage_errors("put_object"):
            response = await self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type
            )
        etag: str = response["ETag"]
        return etag

    async def get(
        self, key: str, *, unless: Callable[[str], bool] | None = None
    ) -> StoredPicture | None:
        """The object, or ``None`` when absent.

        ``unless(etag)`` true: the body is not read (the caller answers 304).
        """
        with _storage_errors("get_object"):
            try:
                response = await self.client.get_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _is_not_found(exc):
                    return None
                raise
            etag: str = response["ETag"]
            content_type: str = response["ContentType"]
            async with response["Body"] as body:
                if unless is not None and unless(etag):
                    return StoredPicture(content_type, etag, None)
                data: bytes = await body.read()
        return StoredPicture(content_type, etag, data)

    async def delete(self, key: str) -> None:
        """Remove the object; removing an absent one is not an error (S3 answers 204 too)."""
        with _storage_errors("delete_object"):
            await self.client.delete_object(Bucket=self.bucket, Key=key)

    async def check(self) -> None:
        """The bucket exists and we may use it (raises otherwise)."""
        await self.client.head_bucket(Bucket=self.bucket)

    async def ensure_bucket(self, region: str) -> None:
        """Create the bucket when absent (development and test only)."""
        try:
            await self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError:
            pass  # absent, or not ours: creating it says which
        options: dict[str, Any] = {}
        if region != "us-east-1":
            options["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            await self.client.create_bucket(Bucket=self.bucket, **options)
        except ClientError as exc:
            # Another instance created it first: fine.
            if exc.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                raise
        logger.info("created bucket %s", self.bucket)
