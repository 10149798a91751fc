"""Every dependency a test may override, in one place."""

from typing import Annotated

from anyio import CapacityLimiter
from fastapi import Depends, Request

from inkwell_runtime.auth import CurrentClaims, get_current_claims
from media_service.core.config import MediaSettings
from media_service.storage import PictureStore

__all__ = [
    "CurrentClaims",
    "ImageLimiter",
    "Settings",
    "Store",
    "get_current_claims",
    "get_image_limiter",
    "get_settings",
    "get_store",
]


def get_settings(request: Request) -> MediaSettings:
    settings: MediaSettings = request.app.state.settings
    return settings


def get_store(request: Request) -> PictureStore:
    store: PictureStore = request.app.state.store
    return store


def get_image_limiter(request: Request) -> CapacityLimiter:
    limiter: CapacityLimiter = request.app.state.image_limiter
    return limiter


Settings = Annotated[MediaSettings, Depends(get_settings)]
Store = Annotated[PictureStore, Depends(get_store)]
ImageLimiter = Annotated[CapacityLimiter, Depends(get_image_limiter)]
