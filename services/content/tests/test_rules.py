"""The rules in ``content_service.posts``, on their own: ownership and page arithmetic.

These are what mutation testing targets, so each boundary has a case on both sides.
"""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from content_service import posts
from content_service.models import Post

from .conftest import T0, Caller, add_posts

AUTHOR = Caller(uuid.uuid4(), "author")
OTHER = Caller(uuid.uuid4(), "other")
ADMIN = Caller(uuid.uuid4(), "root", ("user", "admin"))
AUTHOR_AS_ADMIN = Caller(AUTHOR.id, "author", ("admin",))


def a_post(author: Caller = AUTHOR) -> Post:
    return Post(title="t", content="c", author_id=author.id, author_username=author.username)


@pytest.mark.parametrize(
    ("caller", "update", "delete"),
    [
        (AUTHOR, True, True),
        (OTHER, False, False),
        (ADMIN, False, True),
        (AUTHOR_AS_ADMIN, True, True),
    ],
    ids=["author", "someone else", "admin", "author who is admin"],
)
def test_who_may_update_and_delete(caller: Caller, update: bool, delete: bool) -> None:
    claims = caller.claims()

    assert posts.may_update(claims, a_post()) is update
    assert posts.may_delete(claims, a_post()) is delete


def test_a_role_named_like_admin_is_not_admin() -> None:
    claims = Caller(OTHER.id, "other", ("administrator", "Admin")).claims()

    assert posts.may_delete(claims, a_post()) is False


@pytest.mark.anyio
async def test_an_update_with_nothing_to_change_changes_nothing(db_session: AsyncSession) -> None:
    """The API refuses ``{}`` (422); the rule itself treats it as a no-op, not a touch."""
    (post,) = await add_posts(db_session, AUTHOR, 1)

    same = await posts.update_post(db_session, post.id, AUTHOR.claims(), now=T0 + timedelta(days=1))

    assert (same.title, same.content, same.updated_at) == ("author 00", "post number 0", T0)


@pytest.mark.anyio
async def test_update_sets_updated_at_to_now(db_session: AsyncSession) -> None:
    (post,) = await add_posts(db_session, AUTHOR, 1)
    later = T0 + timedelta(days=1)

    updated = await posts.update_post(db_session, post.id, AUTHOR.claims(), title="x", now=later)

    assert (updated.title, updated.updated_at, updated.date_posted) == ("x", later, T0)
