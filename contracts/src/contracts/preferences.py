"""Per-user preferences as the preferences service serves them (the weather service reads them).

``GET /api/users/me/preferences`` answers :class:`Preferences`; ``PUT`` takes
:class:`PreferencesUpdate` and answers the saved :class:`Preferences`.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, StringConstraints


class Units(StrEnum):
    metric = "metric"
    imperial = "imperial"


City = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
"""A city name; surrounding whitespace is dropped, so a blank name is rejected."""


class PreferencesUpdate(BaseModel):
    """What a user saves. Other fields (e.g. a round-tripped ``updated_at``) are ignored."""

    city: City
    units: Units = Units.metric


class Preferences(BaseModel):
    """What a user has saved; ``updated_at`` is set by the service (UTC)."""

    city: str
    units: Units
    updated_at: datetime
