"""Every dependency a test may override, in one place.

Tests override :func:`get_current_claims` (who is calling) and :func:`get_db_session`
(a rolled-back session; ``serving_session`` puts it behind :func:`get_reader` too),
or leave them and send real tokens.
"""

from typing import Annotated

from fastapi import Depends

from inkwell_runtime.auth import CurrentClaims, get_current_claims
from inkwell_runtime.db import DbSession, ReadDb, get_db_session, get_reader
from inkwell_runtime.pagination import PageRequest, page_request

__all__ = [
    "CurrentClaims",
    "DbSession",
    "Pagination",
    "ReadDb",
    "get_current_claims",
    "get_db_session",
    "get_reader",
]

PAGE_LIMIT_DEFAULT = 10

Pagination = Annotated[PageRequest, Depends(page_request(PAGE_LIMIT_DEFAULT))]
"""``?limit=&skip=&cursor=&total=`` (``inkwell_runtime.pagination``)."""
