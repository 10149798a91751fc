"""Internal: what auth revoked lately, for every other service to refuse at once.

Never routed by the gateway, not in the public OpenAPI. It lists only random identifiers
(session ids, deleted users' ids) of the last access-token lifetime; see
``inkwell_runtime.revocations`` for the services' side.
"""

from datetime import timedelta

from fastapi import APIRouter, Response
from sqlalchemy import distinct, select

from auth_service.api.deps import DbSession, Settings
from auth_service.models import ErasureOutbox, RefreshToken, utcnow

router = APIRouter(prefix="/internal", include_in_schema=False)

MARGIN = timedelta(minutes=1)
"""Beyond the access-token lifetime, for clocks a little apart."""


@router.get("/revocations")
async def revocations(
    session: DbSession, settings: Settings, response: Response
) -> dict[str, list[str]]:
    since = utcnow() - timedelta(minutes=settings.access_token_expire_minutes) - MARGIN
    sessions = await session.scalars(
        select(distinct(RefreshToken.family_id)).where(RefreshToken.revoked_at > since)
    )
    users = await session.scalars(
        select(distinct(ErasureOutbox.user_id)).where(ErasureOutbox.created_at > since)
    )
    response.headers["Cache-Control"] = "no-store"
    return {"sessions": [str(s) for s in sessions], "users": [str(u) for u in users]}
