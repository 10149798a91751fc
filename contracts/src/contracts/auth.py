"""Users and tokens, as the auth service issues them and every other service reads them."""

import uuid
from datetime import datetime

from pydantic import BaseModel, EmailStr

from contracts.pages import PageInfo


class TokenClaims(BaseModel):
    """The verified claims of an Inkwell access token (RS256 JWT signed by auth)."""

    sub: uuid.UUID
    username: str
    roles: list[str] = []
    iat: int
    exp: int
    iss: str
    aud: str | list[str]
    sid: uuid.UUID | None = None
    """The login session (refresh-token family) the token was issued in; auth refuses the token
    as soon as that session is revoked (logout, password reset, reuse of a refresh token)."""

    @property
    def user_id(self) -> uuid.UUID:
        return self.sub

    def has_role(self, role: str) -> bool:
        return role in self.roles


class TokenResponse(BaseModel):
    """A login's or a refresh's answer: a short-lived access token (``expires_in`` seconds) and
    an opaque, single-use refresh token that buys the next pair at ``/api/auth/refresh``."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int
    refresh_token: str


class UserRead(BaseModel):
    """A user as they see themselves (and as admins see them). Never a password or hash."""

    id: uuid.UUID
    username: str
    email: EmailStr
    roles: list[str]
    created_at: datetime


class PublicUser(BaseModel):
    """What anyone may know about a user."""

    id: uuid.UUID
    username: str


class UserPage(PageInfo):
    """One page of the admin user listing, oldest account first."""

    items: list[UserRead]
