"""Account rules: registration, login, password resets. Routes stay thin and call these."""

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    DateTime,
    Row,
    String,
    Uuid,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import identity, password_policy, sessions
from auth_service.models import ErasureOutbox, PasswordResetToken, ResetMail, User
from auth_service.passwords import PasswordHasher
from auth_service.schemas import UserCreate
from inkwell_runtime.clock import utcnow
from inkwell_runtime.db import Reader
from inkwell_runtime.errors import DomainError
from inkwell_runtime.pagination import Listing, Page, PageRequest, fetch_page

MAX_RESET_EMAILS_PER_HOUR = 3
"""Mails ``/forgot-password`` sends an address per hour (a reset link, or a note that there is
no account); more requests are answered alike but send nothing."""


class EmailTaken(DomainError):
    status = 409
    detail = "Email already registered"


class UsernameTaken(DomainError):
    status = 409
    detail = "Username already taken"


class PasswordRefused(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def normalize_email(email: str) -> str:
    """The address as stored and mailed to (the comparison key is :func:`identity.fold`)."""
    return email.strip().lower()


async def register(
    session: AsyncSession,
    data: UserCreate,
    hasher: PasswordHasher,
    admin_emails: frozenset[str] = frozenset(),
) -> User:
    """Create a user; the unique constraints decide races, reported as Email/UsernameTaken.

    The password is hashed first, even when the email turns out to be taken: a conflict costs
    what a success costs, so timing does not tell which emails have accounts.
    """
    hashed_password = await hasher.hash(data.password)
    email = normalize_email(data.email)
    await ensure_free(session, email, data.username)
    roles = ["user", "admin"] if email in admin_emails else ["user"]
    user = User(username=data.username, email=email, hashed_password=hashed_password, roles=roles)
    await save_new(session, user)
    return user


async def ensure_free(session: AsyncSession, email: str, username: str) -> None:
    """Raise :class:`EmailTaken` / :class:`UsernameTaken` when an account has either."""
    if await session.scalar(select(User.id).where(User.email == email)):
        raise EmailTaken
    if await session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise UsernameTaken


async def save_new(session: AsyncSession, user: User) -> None:
    """Insert ``user``; a race lost on a unique constraint is reported as Email/UsernameTaken."""
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise (EmailTaken if "email" in str(exc.orig) else UsernameTaken) from exc


async def find_by_login(session: AsyncSession, login: str) -> User | None:
    """The account whose username or email is ``login`` (compared folded)."""
    key = identity.fold(login)
    return await session.scalar(
        select(User).where(or_(func.lower(User.username) == key, User.email_key == key))
    )


async def authenticate(
    session: AsyncSession, login: str, password: str, hasher: PasswordHasher
) -> User | None:
    """The user whose username or email is ``login`` and whose password matches, else None."""
    user = await find_by_login(session, login)
    # End the read before Argon2: a login must not hold a pooled connection, idle in a
    # transaction, through its wait for a hashing slot and the hash itself. A burst of logins
    # would take a connection each (opening new ones on the event loop past the pool's size)
    # and the pool's 21st would wait for one.
    await session.commit()
    if user is None:
        # Spend the same time as a real check so response timing does not reveal accounts.
        await hasher.verify_nothing(password)
        return None
    if not await hasher.verify(password, user.hashed_password):
        return None
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ResetMailDue:
    """What ``/forgot-password`` owes an address: a reset link (``token``, for the account
    ``user_id``) when it has an account, else a note saying there is none."""

    to: str
    user_id: uuid.UUID | None = None
    token: str | None = None


async def request_reset(
    session: AsyncSession, email: str, ttl: timedelta, now: datetime | None = None
) -> ResetMailDue | None:
    """The mail due to ``email`` for a reset request, with its reset token when the address
    has an account; None when the address already had :data:`MAX_RESET_EMAILS_PER_HOUR`
    mails this hour.

    Known and unknown addresses run the same statements, in the same order: the account looked
    up, the address's mails of the hour counted, the hour's older rows deleted, the mail's row
    written, the token written *from* the account lookup (one row for an account, none
    otherwise), one commit. So neither the answer nor the detached work's load on the service
    tells who has an account."""
    issued = now or utcnow()
    key = identity.fold(email)
    address = _digest(key)
    hour_ago = issued - timedelta(hours=1)
    token = secrets.token_urlsafe(32)
    account = (
        await session.execute(select(User.id, User.email).where(User.email_key == key))
    ).first()
    recent = await session.scalar(
        select(func.count())
        .select_from(ResetMail)
        .where(ResetMail.address_digest == address, ResetMail.created_at > hour_ago)
    )
    await session.execute(delete(ResetMail).where(ResetMail.created_at <= hour_ago))
    if recent is not None and recent >= MAX_RESET_EMAILS_PER_HOUR:
        await session.commit()
        return None
    await session.execute(insert(ResetMail).values(address_digest=address, created_at=issued))
    moment = DateTime(timezone=True)
    await session.execute(
        insert(PasswordResetToken).from_select(
            ["id", "user_id", "token_hash", "created_at", "expires_at"],
            select(
                literal(uuid.uuid4(), Uuid()),
                User.id,
                literal(_digest(token), String()),
                literal(issued, moment),
                literal(issued + ttl, moment),
            ).where(User.email_key == key),
        )
    )
    await session.commit()
    if account is None:
        return ResetMailDue(to=normalize_email(email))
    return ResetMailDue(to=account.email, user_id=account.id, token=token)


async def create_reset_token(
    session: AsyncSession, email: str, ttl: timedelta, now: datetime | None = None
) -> tuple[uuid.UUID, str] | None:
    """A fresh single-use reset token for the account with ``email`` (its id and the token);
    None when there is no such account or it already had :data:`MAX_RESET_EMAILS_PER_HOUR`
    mails this hour."""
    due = await request_reset(session, email, ttl, now)
    if due is None or due.user_id is None or due.token is None:
        return None
    return due.user_id, due.token


async def reset_password(
    session: AsyncSession,
    token: str,
    new_password: str,
    hasher: PasswordHasher,
    now: datetime | None = None,
) -> bool:
    """Use a reset token once; False when it is unknown, used or expired. A new password the
    policy refuses for this account (its own name) raises :class:`PasswordRefused`.

    Every other outstanding reset token of the account is spent with it, and every login
    session (refresh-token family) of the account is revoked."""
    user = await claim_reset(session, token, new_password, now)
    if user is None:
        return False
    user.hashed_password = await hasher.hash(new_password)
    await session.commit()
    return True


async def claim_reset(
    session: AsyncSession, token: str, new_password: str, now: datetime | None = None
) -> User | None:
    """The account a valid reset ``token`` is for, with the token (and every other one of the
    account) spent and every session revoked, uncommitted: the caller sets the new password and
    commits. None when the token is unknown, used or expired; :class:`PasswordRefused` when the
    policy refuses ``new_password`` for this account."""
    moment = now or utcnow()
    reset = await session.scalar(
        select(PasswordResetToken)
        .where(PasswordResetToken.token_hash == _digest(token))
        .with_for_update()
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= moment:
        return None
    user = await session.get(User, reset.user_id)
    if user is None:  # pragma: no cover - the foreign key cascades deletes
        return None
    refused = password_policy.problem(new_password, username=user.username, email=user.email)
    if refused is not None:
        raise PasswordRefused(refused)
    await session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=moment)
    )
    await session.execute(sessions.revoke_all_of(user.id, moment))
    return user


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


async def delete_account(session: AsyncSession, user: User, services: Iterable[str]) -> None:
    """Delete the user (their tokens and sessions go with the row) and, in the same
    transaction, owe each of ``services`` an erasure (delivered by the outbox worker)."""
    for service in services:
        session.add(ErasureOutbox(user_id=user.id, service=service))
    await session.delete(user)
    await session.commit()
