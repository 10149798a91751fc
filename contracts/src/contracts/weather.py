"""A weather report as the weather service serves it."""

from datetime import datetime

from pydantic import BaseModel


class WeatherReport(BaseModel):
    city: str
    description: str
    temperature_c: float
    fetched_at: datetime
    cached: bool
