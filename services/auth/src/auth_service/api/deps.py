"""Every dependency a test may override, in one place."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import accounts, sessions
from auth_service.core.config import AuthSettings
from auth_service.email import EmailSender
from auth_service.jobs import JobRunner
from auth_service.models import User
from auth_service.passwords import PasswordHasher
from auth_service.throttle import LoginThrottle
from inkwell_runtime.auth import CurrentClaims, get_current_claims, require_role
from inkwell_runtime.db import DbSession, get_db_session
from inkwell_runtime.jwt import SigningKey

__all__ = [
    "AdminClaims",
    "CurrentClaims",
    "CurrentUser",
    "DbSession",
    "Hasher",
    "Jobs",
    "Mailer",
    "SessionFactory",
    "Sessions",
    "Settings",
    "Signer",
    "Throttle",
    "get_current_claims",
    "get_current_user",
    "get_db_session",
    "get_email_sender",
    "get_jobs",
    "get_login_throttle",
    "get_password_hash",
    "get_sessions",
    "get_settings",
    "get_signing_key",
]


def get_settings(request: Request) -> AuthSettings:
    settings: AuthSettings = request.app.state.settings
    return settings


def get_signing_key(request: Request) -> SigningKey:
    key: SigningKey = request.app.state.signing_key
    return key


def get_password_hash(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.password_hash
    return hasher


SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def get_sessions(request: Request) -> SessionFactory:
    """Opens sessions of their own, for work that outlives the request (background tasks);
    tests override it to hand out their rolled-back session."""
    factory: SessionFactory = request.app.state.sessionmaker
    return factory


def get_email_sender(request: Request) -> EmailSender:
    sender: EmailSender = request.app.state.email_sender
    return sender


def get_jobs(request: Request) -> JobRunner:
    jobs: JobRunner = request.app.state.jobs
    return jobs


def get_login_throttle(request: Request) -> LoginThrottle | None:
    throttle: LoginThrottle | None = request.app.state.login_throttle
    return throttle


Settings = Annotated[AuthSettings, Depends(get_settings)]
Signer = Annotated[SigningKey, Depends(get_signing_key)]
Hasher = Annotated[PasswordHasher, Depends(get_password_hash)]
Sessions = Annotated[SessionFactory, Depends(get_sessions)]
Jobs = Annotated[JobRunner, Depends(get_jobs)]
Throttle = Annotated[LoginThrottle | None, Depends(get_login_throttle)]
Mailer = Annotated[EmailSender, Depends(get_email_sender)]


async def get_current_user(claims: CurrentClaims, session: DbSession) -> User:
    """The caller's account. A valid token for a deleted account, or one issued in a session
    since revoked (logout, password reset), is not a valid credential."""
    user = await accounts.get_user(session, claims.user_id)
    if user is None or (claims.sid is not None and not await sessions.is_live(session, claims.sid)):
        raise HTTPException(
            401, "Could not validate credentials", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
AdminClaims = Depends(require_role("admin"))
