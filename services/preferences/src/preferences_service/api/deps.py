"""Every dependency a test may override, in one place."""

from typing import Annotated

from fastapi import Depends
from pymongo.asynchronous.database import AsyncDatabase

from inkwell_runtime.auth import CurrentClaims, get_current_claims
from inkwell_runtime.state import state_dependency
from preferences_service.mongo import Document, Mongo, outage_as_503

__all__ = [
    "CurrentUserId",
    "Database",
    "get_current_claims",
    "get_current_user_id",
    "get_database",
    "get_mongo",
]


get_mongo = state_dependency("mongo")


async def get_database(mongo: Annotated[Mongo, Depends(get_mongo)]) -> AsyncDatabase[Document]:
    """The service's database, its unique index in place (503 while MongoDB is unreachable)."""
    with outage_as_503():
        await mongo.ensure_indexes()
    return mongo.database


def get_current_user_id(claims: CurrentClaims) -> str:
    """The caller's id as stored: the token's ``sub`` (a UUID) as a string."""
    return str(claims.user_id)


Database = Annotated[AsyncDatabase[Document], Depends(get_database)]
CurrentUserId = Annotated[str, Depends(get_current_user_id)]
