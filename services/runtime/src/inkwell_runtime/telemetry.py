"""Distributed traces with OpenTelemetry: on when an OTLP endpoint is configured, absent otherwise.

``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) set: the process
gets one tracer provider exporting OTLP/HTTP protobuf in batches, and the official
instrumentations of every client library it has installed (httpx, aiohttp, asyncpg, PyMongo)
plus the FastAPI server side. W3C ``traceparent`` goes out on every outgoing call and is read
on every incoming one, so gateway → service → service is one trace. Not set: nothing is
installed, no provider exists, and a request pays nothing (``quality/bench/tracing.py``).
The standard ``OTEL_*`` variables (sampler, batch delay, headers, resource attributes) apply.
"""

import logging
import os
from importlib import import_module
from typing import Any

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

logger = logging.getLogger(__name__)

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")

UNTRACED_PATHS = r"://[^/]+/(healthz|readyz|metrics)(\?.*)?$"
"""Probes and scrapes: every few seconds, and nothing to learn from a trace of them."""

CLIENT_INSTRUMENTORS = {
    "httpx": "opentelemetry.instrumentation.httpx:HTTPXClientInstrumentor",
    "aiohttp-client": "opentelemetry.instrumentation.aiohttp_client:AioHttpClientInstrumentor",
    "asyncpg": "opentelemetry.instrumentation.asyncpg:AsyncPGInstrumentor",
    "pymongo": "opentelemetry.instrumentation.pymongo:PymongoInstrumentor",
}
"""Libraries instrumented process-wide when their instrumentation is installed (a service
depends on the ones it uses; ``inkwell-runtime[db]`` brings asyncpg's, under SQLAlchemy)."""

_provider: TracerProvider | None = None


def tracing_requested() -> bool:
    """An OTLP endpoint is configured for traces."""
    return any(os.environ.get(name) for name in ENDPOINT_VARIABLES)


def tracer_provider() -> TracerProvider | None:
    """This process's provider, or ``None`` while tracing is off."""
    return _provider


def configure_tracing(service: str, exporter: SpanExporter | None = None) -> TracerProvider | None:
    """Set up tracing once per process (later calls return the first provider).

    Without ``exporter`` (tests pass an in-memory one) and without an endpoint: nothing.
    """
    global _provider
    if _provider is not None:
        return _provider
    if exporter is None:
        if not tracing_requested():
            return None
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _provider = provider
    os.environ.setdefault("OTEL_PYTHON_AIOHTTP_CLIENT_EXCLUDED_URLS", UNTRACED_PATHS)
    for library, target in CLIENT_INSTRUMENTORS.items():
        instrumentor = _load(target)
        if instrumentor is not None:
            instrumentor().instrument(tracer_provider=provider)
            logger.debug("tracing %s calls", library)
    return provider


def instrument_app(app: FastAPI, service: str, provider: TracerProvider | None = None) -> None:
    """Trace the app's requests when tracing is on for this process (a no-op when off);
    ``provider`` given (tests): with that one, leaving the process's set-up alone."""
    provider = provider or configure_tracing(service)
    if provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls=UNTRACED_PATHS,
        # one span per ASGI message (each body chunk) costs more than it tells
        exclude_spans=["receive", "send"],
    )


def _load(target: str) -> Any:
    module, _, name = target.partition(":")
    try:
        return getattr(import_module(module), name)
    except ImportError:
        return None
