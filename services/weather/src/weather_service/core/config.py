"""Weather settings (environment variables; see the README's table)."""

from pydantic import Field, field_validator

from inkwell_runtime.settings import ServiceSettings, redis_url


class WeatherSettings(ServiceSettings):
    weather_api_url: str = "https://wttr.in"
    """A wttr.in-compatible API: ``GET {WEATHER_API_URL}/{city}?format=j1``."""
    weather_timeout_seconds: float = Field(default=5.0, gt=0)
    """The whole provider call, connect to last byte (and httpx's timeout for each phase)."""
    weather_cache_seconds: float = Field(default=300.0, ge=0)
    """How long a city's report is served from the cache (0 turns caching off)."""
    weather_cache_max_entries: int = Field(default=1024, ge=1)
    """Entries of the in-process cache (not with ``WEATHER_CACHE_URL``: Redis holds them)."""
    weather_cache_url: str | None = None
    """``redis://host:6379/0`` (or ``rediss://``): one cache for every weather replica (compose
    uses the gateways' Redis); unset, each process caches in its own memory."""
    weather_breaker_failures: int = Field(default=5, ge=1)
    """Consecutive upstream failures (5xx, 429, timeouts, garbage) that open the breaker."""
    weather_breaker_reset_seconds: float = Field(default=30.0, gt=0)
    """How long the breaker stays open before one trial call (half-open) is let through."""
    preferences_url: str = "http://127.0.0.1:8003"
    preferences_timeout_seconds: float = Field(default=3.0, gt=0)
    """The whole preferences call (and httpx's timeout for each phase)."""

    @field_validator("weather_cache_url")
    @classmethod
    def _cache_url(cls, value: str | None) -> str | None:
        return redis_url(value)
