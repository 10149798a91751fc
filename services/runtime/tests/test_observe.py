"""What an app tells operators about each request: ``/metrics``, the access log line's fields,
and trace ids (W3C ``traceparent`` continued, the ids in every log line)."""

import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from inkwell_runtime import telemetry
from inkwell_runtime.logfields import TraceContextFilter
from inkwell_runtime.logging import configure_logging
from inkwell_runtime.telemetry import instrument_app
from inkwell_testing.tokens import TestSigner

from .test_app import make_app

pytestmark = pytest.mark.anyio

USER_ID = uuid.UUID("6f1c2a4e-1b2c-4d5e-8f90-0a1b2c3d4e5f")
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """One metric's samples from Prometheus text (the official parser), keyed by labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def request_count(text: str, method: str, route: str, status: int) -> float:
    key = (("method", method), ("route", route), ("status", str(status)))
    return samples(text, "http_server_requests_total").get(key, 0.0)


@pytest.fixture
def app(signer: TestSigner) -> FastAPI:
    return make_app(signer)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as client:
        yield client


def access_lines(err: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "inkwell.access"]


async def test_metrics_count_requests_by_route_template_and_status(
    client: httpx.AsyncClient, signer: TestSigner
) -> None:
    await client.get("/whoami", headers=signer.bearer())
    await client.get("/whoami", headers=signer.bearer())
    await client.get("/whoami")  # no token: 401
    await client.get("/boom")  # 500
    await client.get("/no/such/path/42")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert request_count(text, "GET", "/whoami", 200) == 2
    assert request_count(text, "GET", "/whoami", 401) == 1
    assert request_count(text, "GET", "/boom", 500) == 1
    assert request_count(text, "GET", "unmatched", 404) == 1  # one label, whatever the path
    assert request_count(text, "GET", "/metrics", 200) == 0  # scrapes are not requests
    durations = samples(text, "http_server_request_duration_seconds_count")
    assert durations[(("method", "GET"), ("route", "/whoami"), ("status", "200"))] == 2
    assert samples(text, "http_server_requests_in_flight") == {(): 0.0}


async def test_metrics_are_not_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()

    assert "/metrics" not in document["paths"]


async def test_the_access_line_carries_fields_and_never_the_token(
    capsys: pytest.CaptureFixture[str], client: httpx.AsyncClient, signer: TestSigner
) -> None:
    configure_logging("runtime-test", "INFO")
    token = signer.token(user_id=USER_ID)
    await client.get(
        "/whoami",
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-7"},
    )

    err = capsys.readouterr().err
    (line,) = access_lines(err)
    assert line["method"] == "GET"
    assert line["route"] == "/whoami"
    assert line["path"] == "/whoami"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], int | float) and line["duration_ms"] >= 0
    assert line["client"] == "127.0.0.1"
    assert line["user_id"] == str(USER_ID)
    assert line["request_id"] == "req-7"
    assert line["trace_id"] == "-"  # tracing is off in this process
    assert token not in err


async def test_a_traced_request_continues_the_callers_trace_and_logs_its_ids(
    capsys: pytest.CaptureFixture[str], app: FastAPI, signer: TestSigner
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument_app(app, "runtime-test", provider)
    configure_logging("runtime-test", "INFO")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as client:
        response = await client.get(
            "/whoami",
            headers={
                **signer.bearer(user_id=USER_ID),
                "traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01",
            },
        )

    assert response.status_code == 200
    (server,) = [span for span in exporter.get_finished_spans() if span.kind.name == "SERVER"]
    assert format(server.context.trace_id, "032x") == TRACE_ID
    assert server.parent is not None and format(server.parent.span_id, "016x") == PARENT_ID
    assert server.attributes is not None and server.attributes["http.route"] == "/whoami"
    assert server.attributes["enduser.id"] == str(USER_ID)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if "{" in line[:1]]
    logged = [line for line in lines if line["message"] in ("whoami called", "GET /whoami 200")]
    assert {line["trace_id"] for line in logged} == {TRACE_ID}
    assert all(len(line["span_id"]) == 16 for line in logged)


async def test_probes_and_scrapes_are_not_traced(app: FastAPI) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument_app(app, "runtime-test", provider)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as client:
        for path in ("/healthz", "/readyz", "/metrics"):
            assert (await client.get(path)).status_code == 200

    assert exporter.get_finished_spans() == ()


def test_without_an_endpoint_tracing_is_not_set_up(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in telemetry.ENDPOINT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(telemetry, "_provider", None)

    assert telemetry.configure_tracing("runtime-test") is None
    assert telemetry.tracer_provider() is None


def test_log_records_outside_a_span_say_so() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)

    assert TraceContextFilter().filter(record)
    assert (getattr(record, "trace_id", None), getattr(record, "span_id", None)) == ("-", "-")


TRACING_OFF_PROCESS = """
import asyncio, logging, sys
import fastapi  # FastAPI itself imports opentelemetry-api (its own optional telemetry)
framework = {name for name in sys.modules if name.startswith("opentelemetry")}
import httpx
from fastapi import APIRouter, Request
from inkwell_runtime.app import build_service_app
from inkwell_runtime.logging import configure_logging
from inkwell_runtime.observe import USER_ID_KEY
from inkwell_runtime.settings import ServiceSettings

router = APIRouter()

@router.get("/hello")
async def hello(request: Request) -> dict[str, str]:
    request.scope[USER_ID_KEY] = "someone"  # as the auth dependency does
    logging.getLogger("hello").info("hello called")
    return {"hello": "world"}

configure_logging("off-test", "INFO")
settings = ServiceSettings(environment="test", auth_jwks_url="http://auth.test/jwks.json")
app = build_service_app(settings, name="off-test", description="", routers=[router])

async def main() -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as client:
        assert (await client.get("/hello")).status_code == 200
        assert (await client.get("/metrics")).status_code == 200

asyncio.run(main())
print(sorted(n for n in sys.modules if n.startswith("opentelemetry") and n not in framework))
"""


def test_with_tracing_off_a_process_never_imports_opentelemetry() -> None:
    """Off costs nothing: building an app, serving a request (with a user, logged) and a scrape
    import no OpenTelemetry module beyond the API FastAPI itself imports: no SDK, exporter or
    instrumentation (a process of its own: this one has them all)."""
    env = {k: v for k, v in os.environ.items() if k not in telemetry.ENDPOINT_VARIABLES}
    done = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", TRACING_OFF_PROCESS],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert '"message": "hello called"' in done.stderr  # the request ran and logged
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("service", "params", "expected"),
    [
        ("s3", {"Bucket": "pics", "Key": "a"}, {"aws.s3.bucket": "pics"}),
        ("s3", {}, {}),  # ListBuckets and the like name no bucket
        ("sqs", {"Bucket": "not-s3"}, {}),
    ],
)
def test_an_s3_span_names_its_bucket(
    service: str, params: dict[str, Any], expected: dict[str, str]
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("test").start_as_current_span("call") as span:
        telemetry.aws_request_hook(span, service, "PutObject", params)

    (ended,) = exporter.get_finished_spans()
    assert dict(ended.attributes or {}) == expected
