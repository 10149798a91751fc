"""Every dependency a test may override, in one place."""

from typing import Annotated

from fastapi import Depends

from inkwell_runtime.auth import CurrentClaims, get_bearer_token, get_current_claims
from inkwell_runtime.state import state_dependency
from weather_service.preferences import PreferencesClient
from weather_service.weather import WeatherService

__all__ = [
    "BearerToken",
    "CurrentClaims",
    "Preferences",
    "Weather",
    "get_bearer_token",
    "get_current_claims",
    "get_preferences_client",
    "get_weather_service",
]


get_weather_service = state_dependency("weather")
get_preferences_client = state_dependency("preferences")


Weather = Annotated[WeatherService, Depends(get_weather_service)]
Preferences = Annotated[PreferencesClient, Depends(get_preferences_client)]
BearerToken = Annotated[str, Depends(get_bearer_token)]
