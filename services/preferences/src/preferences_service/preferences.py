"""The rules: one document per user, keyed by the token's ``sub``; ``updated_at`` set here.

Stored as ``{user_id: "<uuid>", city, units, updated_at}`` in the ``preferences`` collection
(``_id`` is MongoDB's own and never leaves the service).
"""

from datetime import datetime

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from contracts.preferences import Preferences, PreferencesUpdate
from preferences_service.mongo import COLLECTION, Document, outage_as_503

_PUBLIC = {"_id": False, "city": True, "units": True, "updated_at": True}


async def find(db: AsyncDatabase[Document], user_id: str) -> Preferences | None:
    with outage_as_503():
        found = await db[COLLECTION].find_one({"user_id": user_id}, projection=_PUBLIC)
    return None if found is None else Preferences.model_validate(found)


async def save(
    db: AsyncDatabase[Document], user_id: str, update: PreferencesUpdate, *, now: datetime
) -> Preferences:
    """Create or replace the user's preferences, atomically; answers what was stored.

    Two first saves racing each other cannot make two documents: the unique index rejects the
    second insert, and MongoDB retries such an upsert as an update by itself, because the filter
    is an equality on exactly the unique index's key (the manual's "upsert with duplicate
    values"; mongoeco applies writes one at a time, so e2e on MongoDB covers that path).
    """
    with outage_as_503():
        saved = await db[COLLECTION].find_one_and_update(
            {"user_id": user_id},
            {"$set": {**update.model_dump(mode="json"), "updated_at": now}},
            projection=_PUBLIC,
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
    return Preferences.model_validate(saved)


async def delete(db: AsyncDatabase[Document], user_id: str) -> None:
    """Idempotent: deleting what is not there is not an error."""
    with outage_as_503():
        await db[COLLECTION].delete_one({"user_id": user_id})
