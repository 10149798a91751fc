"""Every dependency a test may override, in one place.

Tests override :func:`get_current_claims` (who is calling) and :func:`get_db_session`
(a rolled-back session), or leave them and send real tokens.
"""

from typing import Annotated

from fastapi import Depends, Query

from inkwell_runtime.auth import CurrentClaims, get_current_claims
from inkwell_runtime.db import DbSession, get_db_session

__all__ = [
    "CurrentClaims",
    "DbSession",
    "Pagination",
    "get_current_claims",
    "get_db_session",
]

PAGE_LIMIT_DEFAULT = 10
PAGE_LIMIT_MAX = 100
SKIP_MAX = 2**31 - 1
"""Far beyond any real listing; the bound keeps a huge ``skip`` a 422, not a database error."""


class PageParams:
    """``?skip=&limit=``: 0 ≤ skip < 2³¹, 1 ≤ limit ≤ 100, else 422."""

    def __init__(
        self,
        skip: Annotated[int, Query(ge=0, le=SKIP_MAX, description="Posts to skip")] = 0,
        limit: Annotated[
            int, Query(ge=1, le=PAGE_LIMIT_MAX, description="Posts per page")
        ] = PAGE_LIMIT_DEFAULT,
    ) -> None:
        self.skip = skip
        self.limit = limit


Pagination = Annotated[PageParams, Depends()]
