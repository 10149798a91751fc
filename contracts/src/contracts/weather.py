"""A weather report as the weather service serves it."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from contracts.preferences import Units


class WeatherReport(BaseModel):
    city: str
    description: str
    temperature_c: float = Field(description="Always in °C, whatever `units` is")
    units: Units = Field(
        default=Units.metric,
        description="What `temperature` and `wind_speed` are in: the `units` asked for "
        "(`?units=`), or the caller's saved preference for `/api/weather/me`",
    )
    temperature: float = Field(description="In °C (metric) or °F (imperial)")
    temperature_unit: Literal["°C", "°F"]
    wind_speed: float | None = Field(
        default=None, description="In km/h (metric) or mph (imperial); null when unknown"
    )
    wind_speed_unit: Literal["km/h", "mph"]
    fetched_at: datetime
    cached: bool
