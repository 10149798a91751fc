"""Login sessions: refresh-token families with rotation and reuse detection.

A login starts a family; its access tokens carry the family id as ``sid``. ``/refresh`` spends
the presented token and returns the next one of the same family. Presenting a spent token
again means two parties hold it (one of them stole it): the whole family is revoked, as the
OAuth 2.0 Security BCP recommends. Logout and a password reset revoke families too; auth's own
endpoints refuse an access token whose family is revoked at once.
"""

import base64
import hashlib
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Update, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.models import RefreshToken, User, utcnow


class InvalidRefreshToken(Exception):
    detail = "Invalid or expired refresh token"


@dataclass(frozen=True)
class Issued:
    user: User
    family_id: uuid.UUID
    refresh_token: str
    upstream: str | None = None
    """The identity provider's refresh token kept with the family (Cognito's), if any."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _cipher(token: str) -> AESGCM:
    # The token has 256 random bits: one hash is key derivation enough.
    return AESGCM(hashlib.sha256(b"inkwell-upstream:" + token.encode()).digest())


def seal(token: str, upstream: str) -> str:
    """``upstream`` encrypted under ``token`` (AES-GCM): only the token's holder opens it."""
    nonce = os.urandom(12)
    return base64.b64encode(nonce + _cipher(token).encrypt(nonce, upstream.encode(), None)).decode()


def unseal(token: str, sealed: str) -> str:
    raw = base64.b64decode(sealed)
    return _cipher(token).decrypt(raw[:12], raw[12:], None).decode()


def _add_token(
    session: AsyncSession,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    ttl: timedelta,
    now: datetime,
    upstream: str | None = None,
) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            user_id=user_id,
            family_id=family_id,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + ttl,
            upstream_sealed=None if upstream is None else seal(token, upstream),
        )
    )
    return token


async def start(
    session: AsyncSession,
    user: User,
    ttl: timedelta,
    family_id: uuid.UUID | None = None,
    upstream: str | None = None,
) -> Issued:
    """A new family for a fresh login (with Cognito: ``family_id`` is its ``origin_jti`` and
    ``upstream`` its refresh token, kept sealed with each of the family's tokens)."""
    family_id = family_id or uuid.uuid4()
    token = _add_token(session, user.id, family_id, ttl, utcnow(), upstream)
    await session.commit()
    return Issued(user, family_id, token, upstream)


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
    upstream = None if stored.upstream_sealed is None else unseal(token, stored.upstream_sealed)
    next_token = _add_token(
        session, user.id, stored.family_id, min(ttl, remaining), moment, upstream
    )
    await session.commit()
    return Issued(user, stored.family_id, next_token, upstream)


async def peek(session: AsyncSession, token: str) -> Issued | None:
    """Whose unrevoked refresh token ``token`` is, and its family's upstream token; nothing is
    spent (:func:`rotate` judges whether it may be used)."""
    stored = await session.scalar(
        select(RefreshToken).where(
            RefreshToken.token_hash == digest(token), RefreshToken.revoked_at.is_(None)
        )
    )
    user = None if stored is None else await session.get(User, stored.user_id)
    if stored is None or user is None:
        return None
    upstream = None if stored.upstream_sealed is None else unseal(token, stored.upstream_sealed)
    return Issued(user, stored.family_id, token, upstream)


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


async def is_live(session: AsyncSession, family_id: uuid.UUID, *, unknown: bool = False) -> bool:
    """Whether the session an access token was issued in still stands. ``unknown``: what a
    session Inkwell never saw is (with Cognito: one started outside Inkwell's login, live)."""
    live = await session.scalar(
        select(func.bool_or(RefreshToken.revoked_at.is_(None))).where(
            RefreshToken.family_id == family_id
        )
    )
    return unknown if live is None else bool(live)
