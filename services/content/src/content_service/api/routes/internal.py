"""Internal: erase a deleted account's posts. Called by auth's outbox with a service token;
never routed by the gateway; idempotent (erasing nothing is a success too)."""

import uuid

from fastapi import APIRouter, Depends, status
from sqlalchemy import delete

from content_service.api.deps import DbSession
from content_service.models import Post
from inkwell_runtime.service_identity import require_service

router = APIRouter(
    prefix="/internal", include_in_schema=False, dependencies=[Depends(require_service("auth"))]
)


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def erase_user(user_id: uuid.UUID, session: DbSession) -> None:
    await session.execute(delete(Post).where(Post.author_id == user_id))
    await session.commit()
