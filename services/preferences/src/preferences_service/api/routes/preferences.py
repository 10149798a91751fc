"""The caller's own preferences: read, save (create or replace), delete."""

from fastapi import APIRouter, HTTPException, Response, status

from contracts.preferences import Preferences, PreferencesUpdate
from inkwell_runtime.clock import utcnow
from inkwell_runtime.errors import UNAUTHORIZED, error_responses
from preferences_service import preferences
from preferences_service.api.deps import CurrentUserId, Database

router = APIRouter(prefix="/api/users/me/preferences", tags=["preferences"])

NOT_FOUND = "Preferences not found"

_ERRORS = {**UNAUTHORIZED, 503: "The database is unavailable"}


@router.get(
    "",
    response_model=Preferences,
    responses=error_responses({**_ERRORS, 404: NOT_FOUND}),
)
async def read_preferences(user_id: CurrentUserId, db: Database) -> Preferences:
    """The caller's saved preferences."""
    found = await preferences.find(db, user_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return found


@router.put("", response_model=Preferences, responses=error_responses(_ERRORS))
async def save_preferences(
    update: PreferencesUpdate, user_id: CurrentUserId, db: Database
) -> Preferences:
    """Create or replace the caller's preferences; answers what was saved."""
    return await preferences.save(db, user_id, update, now=utcnow())


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(_ERRORS))
async def delete_preferences(user_id: CurrentUserId, db: Database) -> Response:
    """Forget the caller's preferences (204 whether or not there were any)."""
    await preferences.delete(db, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
