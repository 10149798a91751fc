"""Keyset pages over a real table: ``page_request`` reads and bounds the query, ``fetch_page``
walks a listing (newest or oldest first) with no item seen twice or missed, ties included."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import DateTime, MetaData, Uuid, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from inkwell_runtime.pagination import (
    SKIP_MAX,
    Listing,
    PageRequest,
    encode_cursor,
    fetch_page,
    page_request,
)
from inkwell_testing.apps import served
from inkwell_testing.postgres import rollback_session, schema_engine

pytestmark = pytest.mark.anyio


class Base(DeclarativeBase):
    metadata = MetaData()


class Thing(Base):
    __tablename__ = "things"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


NEWEST = Listing(select(Thing.id, Thing.at), (Thing.at, Thing.id), newest_first=True)
OLDEST = Listing(select(Thing.id, Thing.at), (Thing.at, Thing.id), newest_first=False)
START = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
async def engine() -> AsyncIterator[AsyncEngine]:
    async with schema_engine("runtime_pages", Base.metadata) as engine:
        yield engine


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """Seven things: five a second apart, then two at the very same instant (a tie)."""
    async with rollback_session(engine) as session:
        moments = [START + timedelta(seconds=i) for i in range(5)] + [
            START + timedelta(hours=1)
        ] * 2
        session.add_all(Thing(id=uuid.uuid4(), at=moment) for moment in moments)
        await session.flush()
        yield session


async def walk(session: AsyncSession, listing: Listing, limit: int) -> list[list[Any]]:
    pages: list[list[Any]] = []
    request = PageRequest(limit=limit)
    while True:
        page = await fetch_page(session, listing, request)
        pages.append([(row.at, row.id) for row in page.items])
        if page.next_cursor is None:
            assert page.has_more is False
            return pages
        request = PageRequest(limit=limit, after=listing.position(page.items[-1]))
        assert page.info()["next_cursor"] == encode_cursor(request.after or (START, uuid.uuid4()))


@pytest.mark.parametrize("listing", [NEWEST, OLDEST], ids=["newest first", "oldest first"])
async def test_walking_the_cursor_visits_every_item_once_in_order(
    session: AsyncSession, listing: Listing
) -> None:
    pages = await walk(session, listing, limit=3)

    seen = [position for page in pages for position in page]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert seen == sorted(seen, reverse=listing.newest_first)
    assert len(set(seen)) == 7


async def test_skip_and_an_exact_total_on_request(session: AsyncSession) -> None:
    everything = (await fetch_page(session, NEWEST, PageRequest(limit=7))).items

    page = await fetch_page(session, NEWEST, PageRequest(limit=2, skip=2, with_total=True))

    assert page.items == everything[2:4]
    assert (page.total, page.skip, page.limit, page.has_more) == (7, 2, 2, True)
    assert (await fetch_page(session, NEWEST, PageRequest(limit=2))).total is None


# -- the query parameters ------------------------------------------------------------------------
app = FastAPI()


@app.get("/things")
async def things(page: Annotated[PageRequest, Depends(page_request(10))]) -> dict[str, Any]:
    return {"limit": page.limit, "skip": page.skip, "after": page.after is not None}


@pytest.mark.parametrize(
    ("query", "field", "says"),
    [
        ({"skip": SKIP_MAX + 1}, "skip", "follow next_cursor"),
        ({"cursor": "garbage"}, "cursor", "not a cursor this API issued"),
        ({"cursor": encode_cursor((START, uuid.uuid4())), "skip": 5}, "cursor", "not both"),
    ],
)
async def test_a_query_past_the_rules_is_a_422_that_says_what_to_do(
    query: dict[str, Any], field: str, says: str
) -> None:
    async with served(app) as client:
        response = await client.get("/things", params=query)

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", field] and says in error["msg"]


async def test_a_cursor_and_the_defaults_are_read() -> None:
    async with served(app) as client:
        plain = (await client.get("/things")).json()
        after = (
            await client.get("/things", params={"cursor": encode_cursor((START, uuid.uuid4()))})
        ).json()

    assert plain == {"limit": 10, "skip": 0, "after": False}
    assert after == {"limit": 10, "skip": 0, "after": True}
