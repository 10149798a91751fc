"""Profile pictures: upload, read (own and anyone's), delete."""

import uuid
from functools import partial
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Header, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError

from contracts.media import PictureMetadata
from inkwell_runtime.errors import UNAUTHORIZED, error_responses
from media_service import images
from media_service.api.deps import CurrentClaims, ImageLimiter, Settings, Store
from media_service.pictures import etag_matches, picture_key, picture_url
from media_service.storage import STORAGE_UNAVAILABLE, PictureStore
from media_service.uploads import (
    INVALID_MULTIPART,
    TOO_LARGE,
    FieldMissing,
    NotMultipart,
    check_declared_length,
    read_file_field,
)

router = APIRouter(tags=["profile pictures"])

FILE_FIELD = "file"
NOT_FOUND = "No profile picture found"
OWN_CACHE_CONTROL = "private, no-cache"

_UNAUTHORIZED = error_responses(UNAUTHORIZED)
_UNAVAILABLE = error_responses({503: f"`{STORAGE_UNAVAILABLE}`: S3 is unreachable"})
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FILE_FIELD],
                    "properties": {
                        FILE_FIELD: {
                            "type": "string",
                            "contentMediaType": "application/octet-stream",
                            "description": "A PNG, JPEG or WebP image (the bytes decide).",
                        }
                    },
                }
            }
        },
    }
}
_PICTURE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The picture, with its `ETag`",
        "content": {
            kind.media_type: {"schema": {"type": "string", "contentMediaType": kind.media_type}}
            for kind in images.ImageKind
        },
    },
    304: {"description": "The `If-None-Match` ETag is current"},
    **error_responses({404: NOT_FOUND}),
    **_UNAVAILABLE,
}
IfNoneMatch = Annotated[str | None, Header(description="ETags the client already holds")]


@router.put(
    "/api/users/me/profile-picture",
    response_model=PictureMetadata,
    openapi_extra=_UPLOAD_BODY,
    responses={
        **error_responses(
            {
                400: INVALID_MULTIPART,
                413: f"`{TOO_LARGE}`: over `MAX_UPLOAD_BYTES`",
                415: "`Unsupported image type`: not PNG, JPEG, WebP (an empty file included)",
                422: "No `file` field, or an image that is corrupt or has too many pixels",
            }
        ),
        **_UNAUTHORIZED,
        **_UNAVAILABLE,
    },
)
async def upload_picture(
    request: Request,
    claims: CurrentClaims,
    settings: Settings,
    store: Store,
    limiter: ImageLimiter,
) -> PictureMetadata:
    """Set (or replace) the caller's picture. Nothing is stored unless all checks pass."""
    limit = settings.max_upload_bytes
    try:
        check_declared_length(request.headers.get("content-length"), limit)
        data = await read_file_field(
            request.headers.get("content-type"), request.stream(), field=FILE_FIELD, limit=limit
        )
    except (NotMultipart, FieldMissing) as exc:
        # The same body FastAPI gives for a missing `UploadFile` parameter.
        missing = {"type": "missing", "loc": ("body", FILE_FIELD), "msg": "Field required"}
        raise RequestValidationError([{**missing, "input": None}]) from exc
    image = await anyio.to_thread.run_sync(
        images.process, data, settings.max_image_pixels, limiter=limiter
    )
    key = picture_key(claims.user_id)
    await store.put(key, image.data, image.kind.media_type)
    return PictureMetadata(
        user_id=claims.user_id,
        key=key,
        content_type=image.kind.media_type,
        size=len(image.data),
        url=picture_url(settings.public_base_url, claims.user_id),
    )


async def _serve(
    store: PictureStore, user_id: uuid.UUID, if_none_match: str | None, cache_control: str
) -> Response:
    picture = await store.get(picture_key(user_id), unless=partial(etag_matches, if_none_match))
    if picture is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    headers = {
        "ETag": picture.etag,
        "Cache-Control": cache_control,
        "X-Content-Type-Options": "nosniff",
    }
    if picture.data is None:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(picture.data, media_type=picture.content_type, headers=headers)


@router.get(
    "/api/users/me/profile-picture",
    response_class=Response,
    responses={**_PICTURE_RESPONSES, **_UNAUTHORIZED},
)
async def read_own_picture(
    claims: CurrentClaims, store: Store, if_none_match: IfNoneMatch = None
) -> Response:
    """The caller's picture (``Cache-Control: private, no-cache``: revalidate with the ETag)."""
    return await _serve(store, claims.user_id, if_none_match, OWN_CACHE_CONTROL)


@router.delete(
    "/api/users/me/profile-picture",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**_UNAUTHORIZED, **_UNAVAILABLE},
)
async def delete_picture(claims: CurrentClaims, store: Store) -> Response:
    """Remove the caller's picture; removing none is not an error."""
    await store.delete(picture_key(claims.user_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/api/users/{user_id}/profile-picture",
    response_class=Response,
    responses=_PICTURE_RESPONSES,
)
async def read_picture(
    user_id: uuid.UUID, store: Store, settings: Settings, if_none_match: IfNoneMatch = None
) -> Response:
    """Anyone's picture, public and cacheable (``max-age`` from ``PICTURE_CACHE_SECONDS``)."""
    cache_control = f"public, max-age={settings.picture_cache_seconds}"
    return await _serve(store, user_id, if_none_match, cache_control)
