"""Tests that kill what mutation testing (`make mutation`) left alive in ``posts``.

Each pins down a promise the other tests could not tell apart from its mutant: the order of
posts written in the same instant is the query's, not the query plan's; a locked write
re-reads the row; the refusal carries its message.
"""

from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from content_service import posts

from .conftest import Caller, add_posts

pytestmark = pytest.mark.anyio


@pytest.fixture
async def without_index_scans(db_session: AsyncSession) -> None:
    """Make PostgreSQL sort instead of walking the (date_posted, id) index backwards: the index
    hands out ties in id order by itself, which would hide a missing tie-breaker."""
    await db_session.execute(text("SET LOCAL enable_indexscan = off"))
    await db_session.execute(text("SET LOCAL enable_bitmapscan = off"))
    await db_session.execute(text("SET LOCAL enable_indexonlyscan = off"))


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
