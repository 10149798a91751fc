"""Weather for a city, and for the caller's preferred city."""

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from contracts.preferences import Units
from contracts.weather import WeatherReport
from inkwell_runtime.errors import ServiceUnavailable, error_responses
from weather_service import preferences as prefs
from weather_service.api.deps import BearerToken, CurrentClaims, Preferences, Weather
from weather_service.breaker import CircuitOpen
from weather_service.weather import (
    CITY_RULE,
    CityName,
    CityNotFound,
    ProviderError,
    ProviderTimeout,
    WeatherService,
    is_valid_city,
)

logger = logging.getLogger(__name__)

router = APIRouter(tags=["weather"])

CITY_NOT_FOUND = "City not found"
PROVIDER_ERROR = "Weather provider error"
PROVIDER_TIMEOUT = "Weather provider timed out"
PREFERENCES_NOT_FOUND = "Preferences not found"
PREFERENCES_UNAVAILABLE = "Preferences service unavailable"
PREFERENCES_ERROR = "Preferences service error"
CITY_DESCRIPTION = CITY_RULE[0].upper() + CITY_RULE[1:] + "."


_WEATHER_ERRORS = {
    401: "Missing or invalid token",
    502: "The weather provider failed, answered garbage, or its circuit is open",
    504: "The weather provider timed out",
}


async def _report(service: WeatherService, city: str, units: Units) -> WeatherReport:
    """The report, or the HTTP error a caller should see (never a 500)."""
    try:
        return await service.report(city, units)
    except CityNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, CITY_NOT_FOUND) from exc
    except CircuitOpen as exc:
        logger.info("weather provider circuit open: %s", exc)
        headers = {"Retry-After": exc.retry_after_header}
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, PROVIDER_ERROR, headers=headers) from exc
    except ProviderTimeout as exc:
        logger.warning("%s", exc)
        raise HTTPException(status.HTTP_504_GATEWAY_TIMEOUT, PROVIDER_TIMEOUT) from exc
    except ProviderError as exc:
        logger.warning("%s", exc)
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, PROVIDER_ERROR) from exc


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
    try:
        place = await preferences.preferred_place(token)
    except prefs.PreferencesNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, PREFERENCES_NOT_FOUND) from exc
    except prefs.PreferencesUnauthorized as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Could not validate credentials",
            headers={"WWW-Authenticate": "Bearer"},
        ) from exc
    except prefs.PreferencesUnavailable as exc:
        logger.warning("%s", exc)
        raise ServiceUnavailable(PREFERENCES_UNAVAILABLE) from exc
    except prefs.PreferencesBadResponse as exc:
        logger.warning("%s", exc)
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, PREFERENCES_ERROR) from exc
    if not is_valid_city(place.city.strip()):
        # Saved before a stricter rule, or by another client: no upstream could know it.
        logger.info("preferred city %r is not a valid city name", place.city)
        raise HTTPException(status.HTTP_404_NOT_FOUND, CITY_NOT_FOUND)
    return await _report(weather, place.city, place.units)


@router.get(
    "/api/weather/{city}",
    response_model=WeatherReport,
    responses=error_responses({**_WEATHER_ERRORS, 404: "The provider does not know the city"}),
)
async def weather_for_city(
    claims: CurrentClaims,
    weather: Weather,
    city: Annotated[CityName, Path(min_length=1, max_length=100, description=CITY_DESCRIPTION)],
    units: Annotated[Units, Query(description="°C and km/h (metric) or °F and mph")] = Units.metric,
) -> WeatherReport:
    """Current weather for a city (cached for `WEATHER_CACHE_SECONDS`)."""
    return await _report(weather, city, units)
