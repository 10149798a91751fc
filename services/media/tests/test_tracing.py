"""With tracing on, every S3 call is a client span named as botocore's instrumentation names
it (``S3.PutObject``), child of the request's span, with the bucket and S3's answer on it, and
errors recorded (aiobotocore-otel, wired by ``inkwell_runtime.telemetry``)."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from inkwell_runtime.telemetry import instrument_app, instrument_clients
from inkwell_testing.tokens import TestSigner
from media_service.core.config import MediaSettings
from media_service.main import create_app

from .conftest import BUCKET, Bucket, Upload

pytestmark = pytest.mark.anyio

OWN = "/api/users/me/profile-picture"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
TRACEPARENT = {"traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01"}


@pytest.fixture
def provider() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    """A provider recording in memory; the process's client libraries instrumented with it
    for the test (as ``configure_tracing`` does when an endpoint is set), then undone."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentors = instrument_clients(provider)
    try:
        yield provider, exporter
    finally:
        for instrumentor in instrumentors:
            instrumentor.uninstrument()


@pytest.fixture
def spans(provider: tuple[TracerProvider, InMemorySpanExporter]) -> InMemorySpanExporter:
    return provider[1]


@pytest.fixture
def app(
    settings: MediaSettings,
    s3_session: Any,
    signer: TestSigner,
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> FastAPI:
    app = create_app(settings, s3_session=s3_session, token_verifier=signer.verifier())
    instrument_app(app, "media", provider[0])
    return app


def hex_id(value: int, digits: int) -> str:
    return format(value, f"0{digits}x")


def client_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.kind == SpanKind.CLIENT]


def request_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    (server,) = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER]
    return server


def ancestors(span: ReadableSpan, exporter: InMemorySpanExporter) -> list[int]:
    by_id = {s.context.span_id: s for s in exporter.get_finished_spans()}
    chain = []
    while span.parent is not None:
        chain.append(span.parent.span_id)
        if span.parent.span_id not in by_id:
            break
        span = by_id[span.parent.span_id]
    return chain


async def test_an_upload_is_one_put_object_span_inside_the_request_span(
    client: AsyncClient,
    upload: Upload,
    auth_headers: dict[str, str],
    png: bytes,
    bucket: Bucket,
    spans: InMemorySpanExporter,
) -> None:
    spans.clear()  # the bucket ensured at startup
    response = await upload(png, headers={**auth_headers, **TRACEPARENT})

    assert response.status_code == 200, response.text
    assert len(bucket.keys()) == 1
    server = request_span(spans)
    assert hex_id(server.context.trace_id, 32) == TRACE_ID  # the caller's trace, continued
    assert server.parent is not None and hex_id(server.parent.span_id, 16) == CALLER_SPAN
    # one client span per S3 call: aiohttp's own span under it is suppressed
    (put,) = client_spans(spans)
    assert put.name == "S3.PutObject"
    assert put.context.trace_id == server.context.trace_id
    assert server.context.span_id in ancestors(put, spans)
    assert put.attributes == {
        **(put.attributes or {}),
        "rpc.system": "aws-api",
        "rpc.service": "S3",
        "rpc.method": "PutObject",
        "aws.s3.bucket": BUCKET,
        "http.status_code": 200,
    }
    assert put.status.status_code == StatusCode.UNSET


async def test_an_s3_error_is_recorded_on_its_span(
    client: AsyncClient, auth_headers: dict[str, str], spans: InMemorySpanExporter
) -> None:
    spans.clear()
    response = await client.get(OWN, headers=auth_headers)

    assert response.status_code == 404  # no picture yet: S3 answered NoSuchKey
    (get,) = client_spans(spans)
    assert get.name == "S3.GetObject"
    assert get.attributes is not None and get.attributes["http.status_code"] == 404
    assert get.attributes["aws.s3.bucket"] == BUCKET
    assert get.status.status_code == StatusCode.ERROR
    (event,) = [event for event in get.events if event.name == "exception"]
    assert (
        event.attributes is not None
        and event.attributes["exception.type"] == "botocore.errorfactory.NoSuchKey"
    )
    assert request_span(spans).context.span_id in ancestors(get, spans)


@pytest.fixture
async def down_client(
    settings: MediaSettings,
    closed_endpoint: str,
    s3_session: Any,
    signer: TestSigner,
    serve: Any,
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> AsyncIterator[AsyncClient]:
    down = settings.model_copy(
        update={"aws_endpoint_url_s3": closed_endpoint, "s3_connect_timeout_seconds": 0.5}
    )
    app = create_app(down, s3_session=s3_session, token_verifier=signer.verifier())
    instrument_app(app, "media", provider[0])
    async with serve(app) as client:
        yield client


async def test_s3_unreachable_is_an_error_span_naming_the_cause(
    down_client: AsyncClient,
    auth_headers: dict[str, str],
    png: bytes,
    spans: InMemorySpanExporter,
) -> None:
    spans.clear()
    response = await down_client.put(
        OWN, files={"file": ("me.png", png, "image/png")}, headers=auth_headers
    )

    assert response.status_code == 503
    (put,) = client_spans(spans)
    assert put.name == "S3.PutObject"
    assert put.status.status_code == StatusCode.ERROR
    (event,) = [event for event in put.events if event.name == "exception"]
    assert event.attributes is not None
    assert event.attributes["exception.type"] == "botocore.exceptions.EndpointConnectionError"
