"""Distributed traces with OpenTelemetry: on when an OTLP endpoint is configured, absent otherwise.

``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) set: the process
gets one tracer provider exporting OTLP/HTTP protobuf in batches, and the official
instrumentations of every client library it has installed (httpx, aiohttp, asyncpg, PyMongo,
aiobotocore) plus the FastAPI server side. W3C ``traceparent`` goes out on every outgoing HTTP
call and is read on every incoming one, so gateway → service → service is one trace. Not set:
nothing is installed, no provider exists and OpenTelemetry is not even imported (this module
imports it only once tracing is on), so a request pays nothing (``quality/bench/tracing.py``).
The standard ``OTEL_*`` variables (sampler, batch delay, headers, resource attributes) apply.
"""

import logging
import os
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span

logger = logging.getLogger(__name__)

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")

UNTRACED_PATHS = r"://[^/]+/(healthz|readyz|metrics)(\?.*)?$"
"""Probes and scrapes: every few seconds, and nothing to learn from a trace of them."""

CLIENT_INSTRUMENTORS = {
    "httpx": "opentelemetry.instrumentation.httpx:HTTPXClientInstrumentor",
    "aiohttp-client": "opentelemetry.instrumentation.aiohttp_client:AioHttpClientInstrumentor",
    "asyncpg": "opentelemetry.instrumentation.asyncpg:AsyncPGInstrumentor",
    "pymongo": "opentelemetry.instrumentation.pymongo:PymongoInstrumentor",
    "aiobotocore": "opentelemetry.instrumentation.aiobotocore:AioBotocoreInstrumentor",
}
"""Libraries instrumented process-wide when their instrumentation is installed (a service
depends on the ones it uses; ``inkwell-runtime[db]`` brings asyncpg's, under SQLAlchemy;
media brings ``aiobotocore-otel``, the botocore instrumentation ported to aiobotocore)."""

S3_BUCKET = "aws.s3.bucket"


def aws_request_hook(span: "Span", service: str, operation: str, params: dict[str, Any]) -> None:
    """Name the bucket of an S3 call on its span (``aws.s3.bucket``, as the semantic
    conventions say; the instrumentation itself has no S3 extension)."""
    if service == "s3" and span.is_recording() and isinstance(bucket := params.get("Bucket"), str):
        span.set_attribute(S3_BUCKET, bucket)


INSTRUMENTOR_OPTIONS: dict[str, dict[str, Any]] = {
    "aiobotocore": {"request_hook": aws_request_hook},
}

_provider: "TracerProvider | None" = None
_trace: ModuleType | None = None
"""``opentelemetry.trace`` once this process traces (imported then, not before)."""


def tracing_requested() -> bool:
    """An OTLP endpoint is configured for traces."""
    return any(os.environ.get(name) for name in ENDPOINT_VARIABLES)


def tracer_provider() -> "TracerProvider | None":
    """This process's provider, or ``None`` while tracing is off."""
    return _provider


def current_span() -> "Span | None":
    """The active span (possibly the invalid one outside a span) once this process traces;
    ``None`` while it does not: OpenTelemetry is not imported, nothing is looked up."""
    return None if _trace is None else _trace.get_current_span()


def _start_tracing() -> None:
    global _trace
    if _trace is None:
        _trace = import_module("opentelemetry.trace")


def configure_tracing(
    service: str, exporter: "SpanExporter | None" = None
) -> "TracerProvider | None":
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
    from opentelemetry import trace
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _provider = provider
    _start_tracing()
    instrument_clients(provider)
    return provider


def instrument_clients(provider: "TracerProvider") -> list[Any]:
    """Instrument every client library whose instrumentation is installed, process-wide,
    with ``provider``; the instrumentors (``uninstrument()`` undoes each: tests do)."""
    os.environ.setdefault("OTEL_PYTHON_AIOHTTP_CLIENT_EXCLUDED_URLS", UNTRACED_PATHS)
    _start_tracing()
    instrumented = []
    for library, target in CLIENT_INSTRUMENTORS.items():
        instrumentor = _load(target)
        if instrumentor is not None:
            instance = instrumentor()
            instance.instrument(tracer_provider=provider, **INSTRUMENTOR_OPTIONS.get(library, {}))
            instrumented.append(instance)
            logger.debug("tracing %s calls", library)
    return instrumented


def instrument_app(app: FastAPI, service: str, provider: "TracerProvider | None" = None) -> None:
    """Trace the app's requests when tracing is on for this process (a no-op when off);
    ``provider`` given (tests): with that one, leaving the process's set-up alone."""
    provider = provider or configure_tracing(service)
    if provider is None:
        return
    _start_tracing()
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
