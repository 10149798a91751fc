"""Every dependency a test may override, in one place."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated

import anyio
from fastapi import Depends, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import accounts, sessions
from auth_service.core.config import AuthSettings
from auth_service.email import EmailSender
from auth_service.jobs import JobRunner
from auth_service.keys import KeySet
from auth_service.models import User
from auth_service.passwords import PasswordHasher
from auth_service.providers import IdentityProvider, LocalProvider
from auth_service.throttle import LoginThrottle
from inkwell_runtime.auth import CurrentClaims, get_current_claims, require_role
from inkwell_runtime.db import DbSession, get_db_session
from inkwell_runtime.jwt import SigningKey
from inkwell_runtime.state import state_dependency

__all__ = [
    "AdminClaims",
    "CurrentClaims",
    "CurrentUser",
    "DbSession",
    "Hasher",
    "Jobs",
    "Keys",
    "LoginSlots",
    "Mailer",
    "Provider",
    "SessionFactory",
    "Sessions",
    "Settings",
    "Signer",
    "Throttle",
    "get_current_claims",
    "get_current_user",
    "get_db_session",
    "get_email_sender",
    "get_identity_provider",
    "get_jobs",
    "get_key_set",
    "get_login_slots",
    "get_login_throttle",
    "get_password_hash",
    "get_sessions",
    "get_settings",
    "get_signing_key",
]


get_settings = state_dependency("settings")
get_signing_key = state_dependency("signing_key")
get_key_set = state_dependency("key_set")
get_password_hash = state_dependency("password_hash")
get_email_sender = state_dependency("email_sender")
get_sessions = state_dependency("sessionmaker")
"""Opens sessions of their own, for work that outlives the request (background tasks);
tests override it to hand out their rolled-back session."""
get_jobs = state_dependency("jobs")
get_login_throttle = state_dependency("login_throttle")
get_login_slots = state_dependency("login_slots")

SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]


Settings = Annotated[AuthSettings, Depends(get_settings)]
Signer = Annotated[SigningKey, Depends(get_signing_key)]
Hasher = Annotated[PasswordHasher, Depends(get_password_hash)]
Keys = Annotated[KeySet, Depends(get_key_set)]
Sessions = Annotated[SessionFactory, Depends(get_sessions)]
Jobs = Annotated[JobRunner, Depends(get_jobs)]
Throttle = Annotated[LoginThrottle | None, Depends(get_login_throttle)]
Mailer = Annotated[EmailSender, Depends(get_email_sender)]
LoginSlots = Annotated[anyio.CapacityLimiter, Depends(get_login_slots)]


def get_identity_provider(
    request: Request, settings: Settings, hasher: Hasher, signer: Signer
) -> IdentityProvider:
    """``AUTH_PROVIDER``'s: auth's own password store, or the Cognito pool the app opened."""
    if settings.auth_provider == "cognito":
        from auth_service.cognito import CognitoProvider

        return CognitoProvider(settings, request.app.state.cognito)
    return LocalProvider(settings, hasher, signer)


Provider = Annotated[IdentityProvider, Depends(get_identity_provider)]


async def get_current_user(claims: CurrentClaims, session: DbSession, settings: Settings) -> User:
    """The caller's account. A valid token for a deleted account, or one issued in a session
    since revoked (logout, password reset), is not a valid credential. With Cognito, a session
    started outside Inkwell's login (Cognito's own UI, say) is Cognito's to end."""
    user = await accounts.get_user(session, claims.user_id)
    unknown = settings.auth_provider == "cognito"
    if user is None or (
        claims.sid is not None and not await sessions.is_live(session, claims.sid, unknown=unknown)
    ):
        raise HTTPException(
            401, "Could not validate credentials", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
AdminClaims = Depends(require_role("admin"))
