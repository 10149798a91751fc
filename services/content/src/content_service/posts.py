"""The rules of posts: who may change what, how pages are cut. Routes stay thin and call these.

Writes lock the row (``SELECT … FOR UPDATE``) before checking ownership, so the check and the
write see the same row, and an update writes only the columns the caller sent: two concurrent
PATCHes of different fields both survive.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from content_service.models import Post
from contracts.auth import TokenClaims
from inkwell_runtime.clock import utcnow
from inkwell_runtime.db import Reader
from inkwell_runtime.errors import DomainError
from inkwell_runtime.pagination import Listing, Page, PageRequest, fetch_page

ADMIN_ROLE = "admin"


class PostNotFound(DomainError):
    status = 404
    detail = "Post not found"


class NotAuthorized(DomainError):
    """The caller may not perform ``action`` ("update" or "delete") on this post."""

    status = 403

    def __init__(self, action: str) -> None:
        super().__init__(detail=f"Not authorized to {action} this post")


def may_update(claims: TokenClaims, post: Post) -> bool:
    """Only the author edits a post: an admin may remove it, not put words in the author's mouth."""
    return post.author_id == claims.user_id


def may_delete(claims: TokenClaims, post: Post) -> bool:
    """The author, or an admin (moderation)."""
    return post.author_id == claims.user_id or claims.has_role(ADMIN_ROLE)


_COLUMNS = select(*Post.__table__.columns)
_ORDER = (Post.date_posted, Post.id)
EVERY_POST = Listing(_COLUMNS, _ORDER, newest_first=True)
"""Newest first: one backward range scan of the index on (date_posted, id) per page."""
AUTHORS_POSTS = Listing(
    _COLUMNS.where(Post.author_id == bindparam("author_id")), _ORDER, newest_first=True
)
"""One author's, newest first: the index on (author_id, date_posted, id)."""


async def list_posts(
    session: Reader, request: PageRequest, *, author_id: uuid.UUID | None = None
) -> Page[Row[Any]]:
    """Newest first, ties broken by id: pages never overlap nor skip a post."""
    if author_id is None:
        return await fetch_page(session, EVERY_POST, request)
    return await fetch_page(session, AUTHORS_POSTS, request, {"author_id": author_id})


ONE_POST = _COLUMNS.where(Post.id == bindparam("post_id"))


async def get_post(session: Reader, post_id: uuid.UUID) -> Row[Any]:
    post = (await session.execute(ONE_POST, {"post_id": post_id})).first()
    if post is None:
        raise PostNotFound
    return post


async def create_post(
    session: AsyncSession,
    claims: TokenClaims,
    *,
    title: str,
    content: str,
    now: datetime | None = None,
) -> Post:
    moment = now or utcnow()
    post = Post(
        title=title,
        content=content,
        author_id=claims.user_id,
        author_username=claims.username,
        date_posted=moment,
        updated_at=moment,
    )
    session.add(post)
    await session.commit()
    return post


async def _locked(session: AsyncSession, post_id: uuid.UUID) -> Post:
    """The post, its row locked until the transaction ends; ``populate_existing`` re-reads it."""
    post = await session.get(Post, post_id, with_for_update=True, populate_existing=True)
    if post is None:
        raise PostNotFound
    return post


async def update_post(
    session: AsyncSession,
    post_id: uuid.UUID,
    claims: TokenClaims,
    *,
    title: str | None = None,
    content: str | None = None,
    now: datetime | None = None,
) -> Post:
    """Change only the fields given (``None``: leave as is); the UPDATE names only those columns."""
    post = await _locked(session, post_id)
    if not may_update(claims, post):
        await session.rollback()
        raise NotAuthorized("update")
    if title is None and content is None:
        await session.commit()  # releases the lock; a rollback would expire ``post``
        return post
    if title is not None:
        post.title = title
    if content is not None:
        post.content = content
    post.updated_at = now or utcnow()
    await session.commit()
    return post


async def delete_post(session: AsyncSession, post_id: uuid.UUID, claims: TokenClaims) -> None:
    post = await _locked(session, post_id)
    if not may_delete(claims, post):
        await session.rollback()
        raise NotAuthorized("delete")
    await session.delete(post)
    await session.commit()
