"""Every dependency a test may override, in one place."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from pymongo.asynchronous.database import AsyncDatabase

from inkwell_runtime.auth import CurrentClaims, get_current_claims
from preferences_service.mongo import Document, Mongo, outage_as_503

__all__ = [
    "Clock",
    "CurrentUserId",
    "Database",
    "get_clock",
    "get_current_claims",
    "get_current_user_id",
    "get_database",
]


async def get_database(request: Request) -> AsyncDatabase[Document]:
    """The service's database, its unique index in place (503 while MongoDB is unreachable)."""
    mongo: Mongo = request.app.state.mongo
    with outage_as_503():
        await mongo.ensure_indexes()
    return mongo.database


def get_current_user_id(claims: CurrentClaims) -> str:
    """The caller's id as stored: the token's ``sub`` (a UUID) as a string."""
    return str(claims.user_id)


def utcnow() -> datetime:
    return datetime.now(UTC)


def get_clock() -> Callable[[], datetime]:
    return utcnow


Database = Annotated[AsyncDatabase[Document], Depends(get_database)]
CurrentUserId = Annotated[str, Depends(get_current_user_id)]
Clock = Annotated[Callable[[], datetime], Depends(get_clock)]
