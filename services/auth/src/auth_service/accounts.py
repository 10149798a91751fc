"""Account rules: registration, login, password resets. Routes stay thin and call these."""

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from pwdlib import PasswordHash
from sqlalchemy import Row, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.models import PasswordResetToken, User
from auth_service.schemas import UserCreate
from inkwell_runtime.clock import utcnow
from inkwell_runtime.db import Reader
from inkwell_runtime.errors import DomainError
from inkwell_runtime.pagination import Listing, Page, PageRequest, fetch_page


class EmailTaken(DomainError):
    status = 409
    detail = "Email already registered"


class UsernameTaken(DomainError):
    status = 409
    detail = "Username already taken"


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def register(
    session: AsyncSession,
    data: UserCreate,
    hasher: PasswordHash,
    admin_emails: frozenset[str] = frozenset(),
) -> User:
    """Create a user; the unique constraints decide races, reported as Email/UsernameTaken."""
    email = normalize_email(data.email)
    if await session.scalar(select(User.id).where(User.email == email)):
        raise EmailTaken
    if await session.scalar(
        select(User.id).where(func.lower(User.username) == data.username.lower())
    ):
        raise UsernameTaken
    roles = ["user", "admin"] if email in admin_emails else ["user"]
    user = User(
        username=data.username, email=email, hashed_password=hasher.hash(data.password), roles=roles
    )
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise (EmailTaken if "email" in str(exc.orig) else UsernameTaken) from exc
    return user


async def authenticate(
    session: AsyncSession, login: str, password: str, hasher: PasswordHash
) -> User | None:
    """The user whose username or email is ``login`` and whose password matches, else None."""
    user = await session.scalar(
        select(User).where(
            or_(func.lower(User.username) == login.lower(), User.email == normalize_email(login))
        )
    )
    if user is None:
        # Spend the same time as a real check so response timing does not reveal accounts.
        hasher.verify(password, _dummy_hash(hasher))
        return None
    if not hasher.verify(password, user.hashed_password):
        return None
    return user


_DUMMY_HASHES: dict[int, str] = {}


def _dummy_hash(hasher: PasswordHash) -> str:
    return _DUMMY_HASHES.setdefault(id(hasher), hasher.hash(secrets.token_urlsafe(16)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_reset_token(
    session: AsyncSession, email: str, ttl: timedelta, now: datetime | None = None
) -> tuple[User, str] | None:
    """A fresh single-use reset token for the account with ``email`` (None: no such account)."""
    user = await session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        return None
    token = secrets.token_urlsafe(32)
    issued = now or utcnow()
    session.add(
        PasswordResetToken(user_id=user.id, token_hash=_digest(token), expires_at=issued + ttl)
    )
    await session.commit()
    return user, token


async def reset_password(
    session: AsyncSession,
    token: str,
    new_password: str,
    hasher: PasswordHash,
    now: datetime | None = None,
) -> bool:
    """Use a reset token once; False when it is unknown, used or expired."""
    moment = now or utcnow()
    reset = await session.scalar(
        select(PasswordResetToken)
        .where(PasswordResetToken.token_hash == _digest(token))
        .with_for_update()
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= moment:
        return False
    user = await session.get(User, reset.user_id)
    if user is None:  # pragma: no cover - the foreign key cascades deletes
        return False
    user.hashed_password = hasher.hash(new_password)
    reset.used_at = moment
    await session.commit()
    return True


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


EVERY_USER = Listing(
    select(User.id, User.username, User.email, User.roles, User.created_at),
    (User.created_at, User.id),
    newest_first=False,
)
"""The admin listing, oldest account first: a range scan of the index on (created_at, id)."""


async def list_users(session: Reader, request: PageRequest) -> Page[Row[Any]]:
    """One page of accounts (never their password hashes: not even selected)."""
    return await fetch_page(session, EVERY_USER, request)
