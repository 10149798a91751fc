"""The call across services: the caller's preferred city, asked of the preferences service on
the caller's behalf (their own bearer token, the request id forwarded)."""

import asyncio
import logging

import httpx
from asgi_correlation_id import correlation_id
from pydantic import BaseModel, ValidationError, field_validator

from contracts.preferences import Units
from inkwell_runtime.app import REQUEST_ID_HEADER

logger = logging.getLogger(__name__)

PREFERENCES_PATH = "/api/users/me/preferences"
"""``GET`` → 200 ``contracts.preferences.Preferences``, 404 when the caller has none, 401."""


class PreferencesNotFound(Exception):
    """The caller has not saved any preferences yet."""


class PreferencesUnauthorized(Exception):
    """The preferences service rejected the caller's token."""


class PreferencesUnavailable(Exception):
    """The preferences service is down, timed out or failed (5xx)."""


class PreferencesBadResponse(Exception):
    """The preferences service answered something this client does not understand."""


class PreferredPlace(BaseModel):
    """A tolerant reader: only the fields this service uses (``city``, ``units``); the rest is
    ignored, and units it does not know read as metric."""

    city: str
    units: Units = Units.metric

    @field_validator("units", mode="before")
    @classmethod
    def _unknown_units_are_metric(cls, value: object) -> object:
        return value if value in set(Units) else Units.metric


class PreferencesClient:
    def __init__(self, client: httpx.AsyncClient, *, deadline_seconds: float = 3.0) -> None:
        self.client = client
        self.deadline_seconds = deadline_seconds

    async def preferred_place(self, token: str) -> PreferredPlace:
        headers = {"Authorization": f"Bearer {token}"}
        if request_id := correlation_id.get():
            headers[REQUEST_ID_HEADER] = request_id
        try:
            async with asyncio.timeout(self.deadline_seconds):  # the whole call, not per phase
                response = await self.client.get(PREFERENCES_PATH, headers=headers)
        except (httpx.HTTPError, TimeoutError) as exc:
            raise PreferencesUnavailable(f"preferences unreachable: {exc!r}") from exc
        status = response.status_code
        if status == httpx.codes.OK:
            try:
                return PreferredPlace.model_validate_json(response.content)
            except ValidationError as exc:
                raise PreferencesBadResponse("unreadable preferences payload") from exc
        if status == httpx.codes.NOT_FOUND:
            raise PreferencesNotFound
        if status == httpx.codes.UNAUTHORIZED:
            raise PreferencesUnauthorized
        if status >= httpx.codes.INTERNAL_SERVER_ERROR:
            raise PreferencesUnavailable(f"preferences answered {status}")
        raise PreferencesBadResponse(f"preferences answered {status}")
