"""Internal: erase a deleted account's profile picture. Called by auth's outbox with a service
token; never routed by the gateway; idempotent."""

import uuid

from fastapi import APIRouter, Depends, status

from inkwell_runtime.service_identity import require_service
from media_service.api.deps import Store
from media_service.pictures import picture_key

router = APIRouter(
    prefix="/internal", include_in_schema=False, dependencies=[Depends(require_service("auth"))]
)


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def erase_user(user_id: uuid.UUID, store: Store) -> None:
    await store.delete(picture_key(user_id))
