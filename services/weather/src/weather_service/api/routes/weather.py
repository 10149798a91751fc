"""Weather for a city, and for the caller's preferred city."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from contracts.preferences import Units
from contracts.weather import WeatherReport
from inkwell_runtime.errors import UNAUTHORIZED, error_responses
from weather_service.api.deps import BearerToken, CurrentClaims, Preferences, Weather
from weather_service.weather import (
    CITY_MAX_LENGTH,
    CITY_PATTERN,
    CITY_RULE,
    CityName,
    CityNotFound,
    is_valid_city,
)

router = APIRouter(tags=["weather"])

CITY_DESCRIPTION = CITY_RULE[0].upper() + CITY_RULE[1:] + "."


_WEATHER_ERRORS = {
    **UNAUTHORIZED,
    502: "The weather provider failed, answered garbage, or its circuit is open",
    504: "The weather provider timed out",
}


# Declared before /api/weather/{city}: otherwise "me" would be taken for a city.
@router.get(
    "/api/weather/me",
    response_model=WeatherReport,
    responses=error_responses(
        {
            **_WEATHER_ERRORS,
            404: "No preferences saved, or the preferred city is unknown",
            502: "The weather provider or the preferences service failed",
            503: "The preferences service is unavailable",
        }
    ),
)
async def weather_for_me(
    claims: CurrentClaims, token: BearerToken, weather: Weather, preferences: Preferences
) -> WeatherReport:
    """Weather for the caller's preferred city, in their preferred units (both read from the
    preferences service as the caller)."""
    place = await preferences.preferred_place(token)
    if not is_valid_city(place.city.strip()):
        # Saved before a stricter rule, or by another client: no upstream could know it.
        raise CityNotFound(reason=f"preferred city {place.city!r} is not a valid city name")
    return await weather.report(place.city, place.units)


@router.get(
    "/api/weather/{city}",
    response_model=WeatherReport,
    responses=error_responses({**_WEATHER_ERRORS, 404: "The provider does not know the city"}),
)
async def weather_for_city(
    claims: CurrentClaims,
    weather: Weather,
    city: Annotated[
        CityName,
        Path(
            min_length=1,
            max_length=CITY_MAX_LENGTH,
            description=CITY_DESCRIPTION,
            # Stated, not enforced here: CityName enforces it with a readable message (a
            # pydantic pattern error would quote the whole pattern back).
            json_schema_extra={"pattern": CITY_PATTERN},
        ),
    ],
    units: Annotated[Units, Query(description="°C and km/h (metric) or °F and mph")] = Units.metric,
) -> WeatherReport:
    """Current weather for a city (cached for `WEATHER_CACHE_SECONDS`)."""
    return await weather.report(city, units)
