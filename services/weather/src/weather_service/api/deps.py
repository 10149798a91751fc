"""Every dependency a test may override, in one place."""

from typing import Annotated

from fastapi import Depends, Request

from inkwell_runtime.auth import CurrentClaims, get_bearer_token, get_current_claims
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


def get_weather_service(request: Request) -> WeatherService:
    service: WeatherService = request.app.state.weather
    return service


def get_preferences_client(request: Request) -> PreferencesClient:
    client: PreferencesClient = request.app.state.preferences
    return client


Weather = Annotated[WeatherService, Depends(get_weather_service)]
Preferences = Annotated[PreferencesClient, Depends(get_preferences_client)]
BearerToken = Annotated[str, Depends(get_bearer_token)]
