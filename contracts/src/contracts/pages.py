"""What every listing page carries besides its items: the cursor to the next page.

A listing is walked with ``?cursor=<next_cursor>`` (keyset pagination: every page costs the
same however deep it is). ``?skip=`` serves the first pages only (at most ``SKIP_MAX``).
"""

from pydantic import BaseModel, Field

SKIP_MAX = 1_000
"""Deeper pages are reached with ``cursor``: an offset walks every row it skips."""


class PageInfo(BaseModel):
    next_cursor: str | None = Field(
        description="Opaque: send it as ?cursor= for the next page; null on the last page"
    )
    has_more: bool = Field(description="Whether more items follow this page (next_cursor set)")
    skip: int
    limit: int
    total: int | None = Field(
        default=None,
        description=(
            "Items in the whole listing, only when asked for with ?total=true: an exact "
            "count, whose cost grows with the listing (null otherwise)"
        ),
    )
