"""Content's table: posts, each carrying its author as the token named them when posting."""

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from inkwell_runtime.clock import utcnow
from inkwell_runtime.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Post(Base):
    """A blog post. ``author_id``/``author_username`` come from the verified token's claims.

    There is no foreign key to a users table: users live in auth's database. The username is
    a snapshot taken when the post was written (no call to auth per request).
    """

    __tablename__ = "posts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID]
    author_username: Mapped[str] = mapped_column(Text)
    date_posted: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        # Newest first, ties broken by id: one index scan (backwards) serves every page.
        Index("ix_posts_date_posted_id", "date_posted", "id"),
        Index("ix_posts_author_id_date_posted_id", "author_id", "date_posted", "id"),
    )
