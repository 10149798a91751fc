"""The call across services: the caller's preferred city, asked of the preferences service on
the caller's behalf (their own bearer token, the request id forwarded)."""

import asyncio
import logging

import httpx
from asgi_correlation_id import correlation_id
from pydantic import BaseModel, ValidationError, field_validator

from contracts.preferences import Units
from inkwell_runtime.app import REQUEST_ID_HEADER
from inkwell_runtime.errors import DomainError, ServiceUnavailable

logger = logging.getLogger(__name__)

PREFERENCES_PATH = "/api/users/me/preferences"
"""``GET`` → 200 ``contracts.preferences.Preferences``, 404 when the caller has none, 401."""


class PreferencesNotFound(DomainError):
    """The caller has not saved any preferences yet."""

    status = 404
    detail = "Preferences not found"


class PreferencesUnauthorized(DomainError):
    """The preferences service rejected the caller's token (so does this service, then)."""

    status = 401
    detail = "Could not validate credentials"
    headers = {"WWW-Authenticate": "Bearer"}


class PreferencesUnavailable(ServiceUnavailable):
    """The preferences service is down, timed out or failed (5xx)."""

    def __init__(self, *, reason: str) -> None:
        super().__init__("Preferences service unavailable", reason=reason)


class PreferencesBadResponse(DomainError):
    """The preferences service answered something this client does not understand."""

    status = 502
    detail = "Preferences service error"


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
            raise PreferencesUnavailable(reason=f"preferences unreachable: {exc!r}") from exc
        status = response.status_code
        if status == httpx.codes.OK:
            try:
                return PreferredPlace.model_validate_json(response.content)
            except ValidationError as exc:
                raise PreferencesBadResponse(reason="unreadable preferences payload") from exc
        if status == httpx.codes.NOT_FOUND:
            raise PreferencesNotFound
        if status == httpx.codes.UNAUTHORIZED:
            raise PreferencesUnauthorized
        if status >= httpx.codes.INTERNAL_SERVER_ERROR:
            raise PreferencesUnavailable(reason=f"preferences answered {status}")
        raise PreferencesBadResponse(reason=f"preferences answered {status}")
