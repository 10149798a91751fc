"""Per-user preferences as the preferences service serves them (the weather service reads them)."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class Units(StrEnum):
    metric = "metric"
    imperial = "imperial"


class PreferencesUpdate(BaseModel):
    city: str = Field(min_length=1, max_length=100)
    units: Units = Units.metric


class Preferences(BaseModel):
    city: str
    units: Units
    updated_at: datetime
