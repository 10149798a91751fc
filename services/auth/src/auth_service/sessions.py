"""Login sessions: refresh-token families with rotation and reuse detection.

A login starts a family; its access tokens carry the family id as ``sid``. ``/refresh`` spends
the presented token and returns the next one of the same family. Presenting a spent token
again means two parties hold it (one of them stole it): the whole family is revoked, as the
OAuth 2.0 Security BCP recommends. Logout and a password reset revoke families too; auth's own
endpoints refuse an access token whose family is revoked at once.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Update, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.models import RefreshToken, User, utcnow


class InvalidRefreshToken(Exception):
    detail = "Invalid or expired refresh token"


@dataclass(frozen=True)
class Issued:
    user: User
    family_id: uuid.UUID
    refresh_token: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _add_token(
    session: AsyncSession, user_id: uuid.UUID, family_id: uuid.UUID, ttl: timedelta, now: datetime
) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            user_id=user_id,
            family_id=family_id,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return token


async def start(session: AsyncSession, user: User, ttl: timedelta) -> Issued:
    """A new family for a fresh login."""
    family_id = uuid.uuid4()
    token = _add_token(session, user.id, family_id, ttl, utcnow())
    await session.commit()
    return Issued(user, family_id, token)


async def rotate(
    session: AsyncSession, token: str, ttl: timedelta, now: datetime | None = None
) -> Issued:
    """Spend ``token`` and issue the next one of its family.

    Raises :class:`InvalidRefreshToken` when it is unknown, expired or revoked; when it was
    already spent, its family is revoked first (committed) and then it raises."""
    moment = now or utcnow()
    stored = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == digest(token)).with_for_update()
    )
    if stored is None or stored.revoked_at is not None or stored.expires_at <= moment:
        raise InvalidRefreshToken
    if stored.used_at is not None:
        await revoke_family(session, stored.family_id, moment)
        raise InvalidRefreshToken
    stored.used_at = moment
    user = await session.get(User, stored.user_id)
    if user is None:  # pragma: no cover - the foreign key cascades deletes
        raise InvalidRefreshToken
    # Same family, its lifetime counted from the login: rotation does not extend a session.
    remaining = stored.expires_at - moment
    next_token = _add_token(session, user.id, stored.family_id, min(ttl, remaining), moment)
    await session.commit()
    return Issued(user, stored.family_id, next_token)


async def revoke_family(
    session: AsyncSession, family_id: uuid.UUID, now: datetime | None = None
) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    await session.commit()


async def logout(session: AsyncSession, token: str) -> None:
    """Revoke the family of ``token``; an unknown token is nothing to revoke."""
    family_id = await session.scalar(
        select(RefreshToken.family_id).where(RefreshToken.token_hash == digest(token))
    )
    if family_id is not None:
        await revoke_family(session, family_id)


def revoke_all_of(user_id: uuid.UUID, now: datetime) -> Update:
    """The statement revoking every session of a user (a password reset runs it)."""
    return (
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def is_live(session: AsyncSession, family_id: uuid.UUID) -> bool:
    """Whether the session an access token was issued in still stands."""
    live = await session.scalar(
        select(RefreshToken.id)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .limit(1)
    )
    return live is not None
