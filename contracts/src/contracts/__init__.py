"""What Inkwell's services promise each other.

The Pydantic models here are the shapes that cross service boundaries (token claims, users,
posts, preferences, picture metadata, weather reports, error bodies). The committed OpenAPI
documents under ``contracts/openapi/`` are each service's public promise; a drift test keeps
them equal to what the services really serve (``make contracts`` regenerates them).
"""

from contracts.auth import PublicUser, TokenClaims, TokenResponse, UserPage, UserRead
from contracts.errors import ErrorBody
from contracts.media import PictureMetadata
from contracts.pages import PageInfo
from contracts.posts import Author, PostPage, PostRead
from contracts.preferences import Preferences, PreferencesUpdate, Units
from contracts.weather import WeatherReport

__all__ = [
    "Author",
    "ErrorBody",
    "PageInfo",
    "PictureMetadata",
    "PostPage",
    "PostRead",
    "Preferences",
    "PreferencesUpdate",
    "PublicUser",
    "TokenClaims",
    "TokenResponse",
    "Units",
    "UserPage",
    "UserRead",
    "WeatherReport",
]
