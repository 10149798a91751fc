"""Auth's tables."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from auth_service.identity import fold
from inkwell_runtime.clock import utcnow
from inkwell_runtime.db import NAMING_CONVENTION


def _email_key(context: Any) -> str:
    return fold(context.get_current_parameters()["email"])


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    email_key: Mapped[str] = mapped_column(String(320), unique=True, default=_email_key)
    """The email NFKC-normalised and case-folded: what uniqueness and login compare."""
    hashed_password: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=lambda: ["user"])
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        Index("uq_users_username_lower", func.lower(username), unique=True),
        # The admin listing, oldest first: one range scan per page, however deep (cursor).
        Index("ix_users_created_at_id", "created_at", "id"),
    )


class PasswordResetToken(Base):
    """Single-use reset tokens; only a SHA-256 of the token is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class ResetMail(Base):
    """One row per email ``/forgot-password`` sent (a reset link, or "there is no account"),
    for the hourly cap per address. The address is kept as a SHA-256 of its comparison key,
    never in clear (most of them belong to nobody here); rows older than an hour are deleted."""

    __tablename__ = "reset_mails"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    address_digest: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class RefreshToken(Base):
    """Opaque refresh tokens, stored as SHA-256. Each login starts a family (``family_id``, the
    ``sid`` of its access tokens); each refresh spends one token and adds the next. A spent
    token presented again revokes the whole family (reuse detection)."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    upstream_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    """With Cognito: Cognito's refresh token, encrypted under this row's own token (which only
    its holder has): the database alone opens none of them."""


class ErasureOutbox(Base):
    """What a deleted account still owes other services: one row per service, written in the
    transaction that deletes the user, delivered (with retries) by the outbox worker."""

    __tablename__ = "erasure_outbox"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID]
    service: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (
        UniqueConstraint("user_id", "service"),
        Index(
            "ix_erasure_outbox_pending", "next_attempt_at", postgresql_where=delivered_at.is_(None)
        ),
    )
