"""Prometheus metrics (prometheus-client): one registry per app, served at its ``/metrics``.

Every app counts its requests by method, route template and status, times them, and shows the
requests in flight; an app with a database shows its pool. Apps add their own figures with
:func:`register` (weather: cache and breaker; gateway: upstream errors and rate limiting).
``/metrics`` is on the process's own port and is not in the OpenAPI document; the gateway's
route table routes no ``/metrics`` to a service, so a service's figures never leave through it.
"""

from collections.abc import Callable, Iterable

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

METRICS_PATH = "/metrics"

disable_created_metrics()  # the ``*_created`` series double the output and no panel reads them

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)


class RequestMetrics:
    """The request figures of one app, in that app's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ("method", "route", "status")
        self.requests = Counter(
            "http_server_requests",
            "Requests answered, by method, route template and status.",
            labels,
            registry=registry,
        )
        self.duration = Histogram(
            "http_server_request_duration_seconds",
            "Time from the request's arrival to the end of its answer.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "http_server_requests_in_flight",
            "Requests being handled now.",
            registry=registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        self.duration.labels(*labels).observe(seconds)


class CallbackCollector(Collector):
    """Figures read from live objects at scrape time (a pool, a breaker, a counter dict)."""

    def __init__(self, collect: Callable[[], Iterable[Metric]]) -> None:
        self._collect = collect

    def collect(self) -> Iterable[Metric]:
        return self._collect()


def registry_of(app: FastAPI) -> CollectorRegistry:
    registry: CollectorRegistry = app.state.metrics_registry
    return registry


def register(app: FastAPI, collect: Callable[[], Iterable[Metric]]) -> None:
    """Add figures of the app's own, computed by ``collect`` at each scrape."""
    registry_of(app).register(CallbackCollector(collect))


def database_pool_metrics(app: FastAPI) -> Iterable[Metric]:
    """The SQLAlchemy pool of ``app.state.engine``, when the app has one (and it has started)."""
    engine = getattr(app.state, "engine", None)
    pool = getattr(engine, "pool", None)
    if pool is None or not hasattr(pool, "checkedout"):
        return []
    figures = GaugeMetricFamily(
        "db_pool_connections", "Database pool connections by state.", labels=["state"]
    )
    figures.add_metric(["checked_out"], pool.checkedout())
    figures.add_metric(["idle"], pool.checkedin())
    figures.add_metric(["overflow"], max(0, pool.overflow()))
    size = GaugeMetricFamily("db_pool_size", "Connections the pool keeps open at most.")
    size.add_metric([], pool.size())
    return [figures, size]


def install_metrics(app: FastAPI) -> RequestMetrics:
    """Give the app its registry, its request figures and its ``/metrics`` endpoint."""
    registry = CollectorRegistry(auto_describe=True)
    app.state.metrics_registry = registry
    metrics = RequestMetrics(registry)
    register(app, lambda: database_pool_metrics(app))

    async def serve_metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.add_route(METRICS_PATH, serve_metrics, methods=["GET"], include_in_schema=False)
    return metrics
