"""Settings from the environment, their documented defaults, and nonsense refused at start."""

import pytest
from pydantic import ValidationError

from weather_service.core.config import WeatherSettings
from weather_service.main import create_app


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEATHER_API_URL", "https://wttr.example")
    monkeypatch.setenv("WEATHER_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("WEATHER_CACHE_SECONDS", "60")
    monkeypatch.setenv("WEATHER_BREAKER_FAILURES", "7")
    monkeypatch.setenv("WEATHER_BREAKER_RESET_SECONDS", "45")
    monkeypatch.setenv("PREFERENCES_URL", "http://preferences:8003")

    app = create_app()

    settings: WeatherSettings = app.state.settings
    assert settings.weather_api_url == "https://wttr.example"
    assert settings.weather_timeout_seconds == 2.5
    assert settings.preferences_url == "http://preferences:8003"
    assert app.state.weather_cache.entries.ttl == 60
    assert app.state.weather_breaker.failure_threshold == 7
    assert app.state.weather_breaker.reset_seconds == 45


def test_the_documented_defaults() -> None:
    settings = WeatherSettings()

    assert settings.weather_api_url == "https://wttr.in"
    assert settings.weather_timeout_seconds == 5
    assert settings.weather_cache_seconds == 300


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEATHER_TIMEOUT_SECONDS", "0"),
        ("WEATHER_CACHE_SECONDS", "-1"),
        ("WEATHER_BREAKER_FAILURES", "0"),
        ("WEATHER_TIMEOUT_SECONDS", "soon"),
    ],
)
def test_nonsense_settings_refuse_to_start(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError, match=name.lower()):
        WeatherSettings()
