"""What weather tells operators: ``/readyz`` (degraded while its provider fails) and its
Prometheus figures (cache hits and misses, breaker state)."""

from collections.abc import Iterable

from fastapi import Request
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from inkwell_runtime.health import Degraded
from weather_service.breaker import BreakerState
from weather_service.weather import WeatherService


async def provider_health(request: Request) -> None:
    """Degraded (never down: cached reports are still served, and taking this service out of
    rotation would not bring the provider back) while the provider's calls fail."""
    service: WeatherService = request.app.state.weather
    breaker = service.breaker
    if breaker.state is BreakerState.closed and breaker.failures == 0:
        return
    raise Degraded(
        f"breaker {breaker.state}, {breaker.failures} consecutive failure(s); "
        f"last error: {service.last_error or 'none'}"
    )


def weather_metrics(service: WeatherService | None) -> Iterable[Metric]:
    if service is None:  # before the lifespan started
        return []
    cache = CounterMetricFamily(
        "weather_cache_lookups", "Report lookups in the cache, by result.", labels=["result"]
    )
    cache.add_metric(["hit"], service.cache_hits)
    cache.add_metric(["miss"], service.cache_misses)
    state = GaugeMetricFamily(
        "weather_breaker_state",
        "The provider's circuit breaker: 1 for its current state, 0 for the others.",
        labels=["state"],
    )
    current = service.breaker.state
    for each in BreakerState:
        state.add_metric([each.value], 1 if each is current else 0)
    failures = GaugeMetricFamily("weather_breaker_failures", "Consecutive failed provider calls.")
    failures.add_metric([], service.breaker.failures)
    return [cache, state, failures]
