"""The rules in ``content_service.posts``: ownership, page arithmetic, the order of posts
written in the same instant, locked writes re-reading the row, refusals carrying their message.

These are what mutation testing targets, so each boundary has a case on both sides; the last
ones pin down promises the route tests could not tell apart from a mutant.
"""

import uuid
from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy import text
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


@pytest.fixture
async def without_index_scans(db_session: AsyncSession) -> None:
    """Make PostgreSQL sort instead of walking the (date_posted, id) index backwards: the index
    hands out ties in id order by itself, which would hide a missing tie-breaker."""
    await db_session.execute(text("SET LOCAL enable_indexscan = off"))
    await db_session.execute(text("SET LOCAL enable_bitmapscan = off"))
    await db_session.execute(text("SET LOCAL enable_indexonlyscan = off"))


@pytest.mark.anyio
@pytest.mark.parametrize("listing", ["/api/posts", "/api/users/{author}/posts"])
async def test_same_instant_posts_are_ordered_by_id_whatever_the_plan(
    client: AsyncClient,
    db_session: AsyncSession,
    without_index_scans: None,
    alice: Caller,
    listing: str,
) -> None:
    stored = await add_posts(db_session, alice, 7, step=timedelta(0))

    answer = await client.get(listing.format(author=alice.id), params={"limit": 7})

    assert answer.status_code == 200
    assert [p["id"] for p in answer.json()["items"]] == sorted(
        (str(p.id) for p in stored), reverse=True
    )


@pytest.mark.anyio
async def test_a_locked_update_answers_the_row_as_it_is_now(
    db_session: AsyncSession, alice: Caller
) -> None:
    """The session already holds the post; a write it did not see changed the row since. The
    update must answer (and build on) what the lock read, not the stale copy it held."""
    (post,) = await add_posts(db_session, alice, 1)
    await db_session.execute(
        text("UPDATE posts SET content = 'changed meanwhile' WHERE id = :id"), {"id": post.id}
    )

    updated = await posts.update_post(db_session, post.id, alice.claims(), title="new title")

    assert (updated.title, updated.content) == ("new title", "changed meanwhile")


@pytest.mark.parametrize("action", ["update", "delete"])
def test_a_refusal_carries_its_message(action: str) -> None:
    """What logs and tracebacks show is the same sentence the caller gets as ``detail``."""
    refusal = posts.NotAuthorized(action)

    assert str(refusal) == refusal.detail == f"Not authorized to {action} this post"
