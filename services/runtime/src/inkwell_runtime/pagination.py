"""Keyset (cursor) pagination, the one way every listing pages (``inkwell-runtime[db]``).

A listing is ordered by a timestamp then an id (a total order). A page ends with a cursor that
encodes the last item's (timestamp, id); the next page is the rows strictly after it, found by
one index range scan, so a page at depth 900 000 costs what the first page costs, and rows
created or deleted meanwhile never make a walk repeat or miss an item that existed throughout.

``skip`` still serves the first pages (seeds and older clients use it) but is bounded
(``SKIP_MAX``): an offset walks every row it skips. ``total`` is opt-in (``?total=true``): an
exact ``count(*)`` grows with the listing (about 130 ms at a million posts).
"""

import base64
import binascii
import struct
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from sqlalchemy import Integer, Row, Select, bindparam, func, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from contracts.pages import SKIP_MAX
from inkwell_runtime.db import Reader

__all__ = [
    "LIMIT_MAX",
    "SKIP_MAX",
    "BadCursor",
    "Listing",
    "Page",
    "PageRequest",
    "Position",
    "decode_cursor",
    "encode_cursor",
    "fetch_page",
    "page_request",
]

LIMIT_MAX = 100

Position = tuple[datetime, uuid.UUID]
"""Where an item sits in its listing: its timestamp, then its id."""

_CURSOR = struct.Struct(">Bq16s")  # format version, microseconds since the epoch, the id
_CURSOR_VERSION = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
CURSOR_MAX_LENGTH = 64


class BadCursor(ValueError):
    """Not a cursor this API issued."""


def encode_cursor(position: Position) -> str:
    """Opaque to clients: URL-safe base64 of a versioned (timestamp, id), without padding."""
    moment, ident = position
    raw = _CURSOR.pack(_CURSOR_VERSION, (moment - _EPOCH) // _MICROSECOND, ident.bytes)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(token: str) -> Position:
    """The position ``token`` encodes; :class:`BadCursor` for anything ``encode_cursor`` did
    not produce (strict base64, exact length, known version, a representable timestamp)."""
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        version, micros, ident = _CURSOR.unpack(raw)
        position = (_EPOCH + micros * _MICROSECOND, uuid.UUID(bytes=ident))
    except (binascii.Error, struct.error, OverflowError, ValueError) as exc:
        raise BadCursor from exc
    if version != _CURSOR_VERSION or encode_cursor(position) != token:
        raise BadCursor
    return position


def _invalid(field: str, message: str, value: object) -> RequestValidationError:
    """A 422 in FastAPI's own shape, pointing at the query parameter at fault."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", field), "msg": message, "input": value}]
    )


@dataclass(frozen=True)
class PageRequest:
    """What the client asked for: a page of ``limit`` after ``skip`` items or after ``after``."""

    limit: int
    skip: int = 0
    after: Position | None = None
    with_total: bool = False


def page_request(default_limit: int) -> Callable[..., Awaitable[PageRequest]]:
    """The dependency reading ``?limit=&skip=&cursor=&total=`` (422 on anything out of bounds)."""

    async def read(
        limit: Annotated[
            int, Query(ge=1, le=LIMIT_MAX, description="Items per page")
        ] = default_limit,
        skip: Annotated[
            int,
            Query(
                ge=0,
                description=f"Items to skip, at most {SKIP_MAX}: walk deeper with cursor",
                json_schema_extra={"maximum": SKIP_MAX},
            ),
        ] = 0,
        cursor: Annotated[
            str | None,
            Query(
                max_length=CURSOR_MAX_LENGTH,
                description="The next_cursor of the previous page (opaque)",
            ),
        ] = None,
        total: Annotated[
            bool,
            Query(description="Also count the whole listing (an exact count: costs more)"),
        ] = False,
    ) -> PageRequest:
        if skip > SKIP_MAX:
            raise _invalid(
                "skip",
                f"skip is at most {SKIP_MAX}; for deeper pages follow next_cursor "
                "with ?cursor=<next_cursor>",
                skip,
            )
        after = None
        if cursor is not None:
            if skip:
                raise _invalid("cursor", "send cursor or skip, not both", cursor)
            try:
                after = decode_cursor(cursor)
            except BadCursor:
                raise _invalid(
                    "cursor", "not a cursor this API issued: send a page's next_cursor", cursor
                ) from None
        return PageRequest(limit=limit, skip=skip, after=after, with_total=total)

    return read


@dataclass(frozen=True)
class Page[T]:
    items: list[T]
    next_cursor: str | None
    total: int | None
    skip: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None

    def info(self) -> dict[str, Any]:
        """The fields of ``contracts.pages.PageInfo``: ``XPage(items=..., **page.info())``."""
        return {
            "next_cursor": self.next_cursor,
            "has_more": self.has_more,
            "skip": self.skip,
            "limit": self.limit,
            "total": self.total,
        }


class Listing:
    """A listing: its query (columns, not ORM entities: plain rows are cheaper to load), the
    timestamp and id columns it is ordered by (an index must cover them, in that order) and
    the direction. Its statements are built once, the page's figures going in as bound
    parameters: building a statement costs SQLAlchemy more than running it."""

    def __init__(
        self,
        query: Select[*tuple[Any, ...]],
        keys: tuple[InstrumentedAttribute[datetime], InstrumentedAttribute[uuid.UUID]],
        *,
        newest_first: bool,
    ) -> None:
        self.query = query
        self.keys = keys
        self.newest_first = newest_first
        self.count = select(func.count()).select_from(query.subquery())
        self._statements: dict[tuple[bool, bool], Select[*tuple[Any, ...]]] = {}

    def statement(self, *, after: bool, skip: bool) -> Select[*tuple[Any, ...]]:
        """The page's query: after a cursor or not, with an offset or not."""
        built = self._statements.get((after, skip))
        if built is None:
            built = self._statements[(after, skip)] = self._build(after=after, skip=skip)
        return built

    def _build(self, *, after: bool, skip: bool) -> Select[*tuple[Any, ...]]:
        moment, ident = self.keys
        query = self.query
        if after:
            row = tuple_(moment, ident)
            bound = tuple_(
                bindparam("page_after_at", type_=moment.type),
                bindparam("page_after_id", type_=ident.type),
            )
            query = query.where(row < bound if self.newest_first else row > bound)
        if self.newest_first:
            query = query.order_by(moment.desc(), ident.desc())
        else:
            query = query.order_by(moment.asc(), ident.asc())
        query = query.limit(bindparam("page_limit", type_=Integer))
        if skip:
            query = query.offset(bindparam("page_offset", type_=Integer))
        return query

    def position(self, row: Row[Any]) -> Position:
        moment, ident = self.keys
        return getattr(row, moment.key), getattr(row, ident.key)


async def fetch_page(
    session: Reader,
    listing: Listing,
    request: PageRequest,
    params: Mapping[str, Any] | None = None,
) -> Page[Row[Any]]:
    """One page of ``listing`` (``params``: the values of its own bound parameters).

    One row more than asked tells whether another page follows, so no count is needed.
    """
    values: dict[str, Any] = {**(params or {}), "page_limit": request.limit + 1}
    if request.after is not None:
        values["page_after_at"], values["page_after_id"] = request.after
    if request.skip:
        values["page_offset"] = request.skip
    statement = listing.statement(after=request.after is not None, skip=bool(request.skip))
    rows = (await session.execute(statement, values)).all()
    items = rows[: request.limit]
    more = len(rows) > request.limit
    total = None
    if request.with_total:
        total = (await session.execute(listing.count, dict(params or {}))).scalar_one()
    return Page(
        items=list(items),
        next_cursor=encode_cursor(listing.position(items[-1])) if more else None,
        total=total,
        skip=request.skip,
        limit=request.limit,
    )
