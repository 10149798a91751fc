"""The weather app factory: ``python -m inkwell_runtime.serve weather_service.main:create_app``."""

import ssl
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import cache

import httpx
from fastapi import FastAPI

from inkwell_runtime.app import build_service_app
from inkwell_runtime.jwt import TokenVerifier
from inkwell_runtime.metrics import register
from weather_service.api.routes import weather
from weather_service.breaker import CircuitBreaker
from weather_service.cache import MemoryCache, RedisCache, ReportCache
from weather_service.core.config import WeatherSettings
from weather_service.health import provider_health, weather_metrics
from weather_service.preferences import PreferencesClient
from weather_service.weather import Observation, WeatherService


@cache
def tls_context() -> ssl.SSLContext:
    """One TLS context per process (loading the CA bundle is the slow part of a new client)."""
    return httpx.create_ssl_context()


def report_cache(settings: WeatherSettings) -> ReportCache[Observation]:
    """Redis shared by every replica with ``WEATHER_CACHE_URL``; this process's memory without."""
    if settings.weather_cache_url is None:
        return MemoryCache(settings.weather_cache_max_entries, settings.weather_cache_seconds)
    return RedisCache(
        settings.weather_cache_url,
        settings.weather_cache_seconds,
        dump=Observation.to_json,
        load=Observation.from_json,
    )


def create_app(
    settings: WeatherSettings | None = None,
    *,
    token_verifier: TokenVerifier | None = None,
    weather_client: httpx.AsyncClient | None = None,
    preferences_client: httpx.AsyncClient | None = None,
) -> FastAPI:
    """Build the app.

    Not given, the two HTTP clients are created by the lifespan (one pooled client each, closed
    on shutdown); given, they are used as they are and left open (their owner closes them).
    """
    settings = settings or WeatherSettings()
    cache = report_cache(settings)
    breaker = CircuitBreaker(
        failure_threshold=settings.weather_breaker_failures,
        reset_seconds=settings.weather_breaker_reset_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            stack.push_async_callback(cache.aclose)
            upstream = weather_client
            if upstream is None:
                upstream = await stack.enter_async_context(
                    httpx.AsyncClient(
                        base_url=settings.weather_api_url,
                        timeout=settings.weather_timeout_seconds,
                        verify=tls_context(),
                        headers={"Accept": "application/json", "User-Agent": "inkwell-weather"},
                    )
                )
            peers = preferences_client
            if peers is None:
                peers = await stack.enter_async_context(
                    httpx.AsyncClient(
                        base_url=settings.preferences_url,
                        timeout=settings.preferences_timeout_seconds,
                        verify=tls_context(),
                    )
                )
            app.state.weather = WeatherService(
                upstream, cache, breaker, deadline_seconds=settings.weather_timeout_seconds
            )
            app.state.preferences = PreferencesClient(
                peers, deadline_seconds=settings.preferences_timeout_seconds
            )
            yield

    app = build_service_app(
        settings,
        name="weather",
        description=(
            "Current weather for a city from a wttr.in-compatible API, behind a cache and a "
            "circuit breaker; `/api/weather/me` uses the caller's preferred city."
        ),
        routers=[weather.router],
        # The provider and the preferences service are soft dependencies (the breaker and the
        # 503 handle their outages): the provider's failures make the service degraded, never
        # not ready, since taking it out of rotation would not bring them back.
        readiness_checks={"weather_provider": provider_health},
        lifespan=lifespan,
        token_verifier=token_verifier,
    )
    app.state.weather_cache = cache
    app.state.weather_breaker = breaker
    register(app, lambda: weather_metrics(getattr(app.state, "weather", None)))
    return app


def openapi_app() -> FastAPI:
    """The app as documented in ``contracts/`` (no I/O happens to build it)."""
    return create_app(WeatherSettings(environment="test"))
