"""Every dependency a test may override, in one place."""

from typing import Annotated

from anyio import CapacityLimiter
from fastapi import Depends

from inkwell_runtime.auth import CurrentClaims, get_current_claims
from inkwell_runtime.state import state_dependency
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


get_settings = state_dependency("settings")
get_store = state_dependency("store")
get_image_limiter = state_dependency("image_limiter")


Settings = Annotated[MediaSettings, Depends(get_settings)]
Store = Annotated[PictureStore, Depends(get_store)]
ImageLimiter = Annotated[CapacityLimiter, Depends(get_image_limiter)]
