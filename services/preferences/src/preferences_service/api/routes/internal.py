"""Internal: erase a deleted account's preferences. Called by auth's outbox with a service
token; never routed by the gateway; idempotent."""

import uuid

from fastapi import APIRouter, Depends, status

from inkwell_runtime.service_identity import require_service
from preferences_service import preferences
from preferences_service.api.deps import Database

router = APIRouter(
    prefix="/internal", include_in_schema=False, dependencies=[Depends(require_service("auth"))]
)


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def erase_user(user_id: uuid.UUID, db: Database) -> None:
    await preferences.delete(db, str(user_id))
