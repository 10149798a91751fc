"""Seeing inside the running system: one request is one trace across processes (checked by an
OTLP receiver this test runs), and every service's ``/metrics`` counts exactly what was asked."""

import os
import secrets
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from contracts.registry import current
from inkwell_devstack.config import E2E_PORT_BASE, StackConfig, side_stack
from inkwell_devstack.stack import Supervisor
from inkwell_e2e.flows import User, eventually, png, register
from inkwell_e2e.otlp import ReceivedSpan, Receiver, otlp_receiver
from inkwell_e2e.systems import System

pytestmark = pytest.mark.anyio

PREFS = "/api/users/me/preferences"
TRACED_OFFSET = 20
"""The traced stack's ports: the e2e port base + this (its own block of 12)."""
PROBES = frozenset({"/healthz", "/readyz"})

Labels = tuple[str, str, str]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with otlp_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def traced(receiver: Receiver) -> Iterator[StackConfig]:
    """A local stack of its own whose processes export traces to ``receiver``."""
    if os.environ.get("E2E_STACK", "local") != "local":
        pytest.skip("the traced stack is started locally (E2E_STACK=local)")
    base = int(os.environ.get("E2E_PORT_BASE", E2E_PORT_BASE)) + TRACED_OFFSET
    config = side_stack(
        f"traced{base}",
        base,
        {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"},
    )
    supervisor = Supervisor(config, out=print)
    supervisor.up()
    try:
        yield config
    finally:
        supervisor.down()


def only(spans: list[ReceivedSpan], service: str, kind: str) -> list[ReceivedSpan]:
    return [span for span in spans if span.service == service and span.kind == kind]


async def test_one_weather_request_is_one_trace_from_gateway_to_mongo(
    traced: StackConfig, receiver: Receiver
) -> None:
    async with httpx.AsyncClient(base_url=traced.gateway_url, timeout=20) as gateway:
        user = await register(gateway, "traced")
        saved = await gateway.put(PREFS, json={"city": "Oslo"}, headers=user.headers)
        assert saved.status_code == 200, saved.text
        trace_id = secrets.token_hex(16)
        caller_span = secrets.token_hex(8)
        headers = {**user.headers, "traceparent": f"00-{trace_id}-{caller_span}-01"}
        report = await gateway.get("/api/weather/me", headers=headers)
    assert report.status_code == 200, report.text

    def is_mongo(span: ReceivedSpan) -> bool:
        return span.attributes.get("db.system") == "mongodb" or "db.system.name" in span.attributes

    async def complete() -> bool:
        """Every hop's server span is in (each process exports in its own batches, and a
        client span ends, so may arrive, before the server span around it)."""
        spans = receiver.trace(trace_id)
        hops = ("gateway", "weather", "preferences")
        return all(only(spans, hop, "SERVER") for hop in hops) and any(map(is_mongo, spans))

    assert await eventually(complete, seconds=30), receiver.trace(trace_id)
    spans = receiver.trace(trace_id)
    by_id = {span.span_id: span for span in spans}
    (gateway_in,) = only(spans, "gateway", "SERVER")
    assert gateway_in.parent_span_id == caller_span  # the caller's traceparent was continued
    (weather_in,) = only(spans, "weather", "SERVER")
    (preferences_in,) = only(spans, "preferences", "SERVER")
    # Each hop's server span is the child of the caller's client span (traceparent propagated).
    assert by_id[weather_in.parent_span_id].service == "gateway"
    assert by_id[weather_in.parent_span_id].kind == "CLIENT"
    assert by_id[preferences_in.parent_span_id].service == "weather"
    assert by_id[preferences_in.parent_span_id].kind == "CLIENT"
    assert weather_in.attributes["http.route"] == "/api/weather/me"
    mongo = [span for span in spans if is_mongo(span)]
    assert {span.service for span in mongo} == {"preferences"}
    assert all(span.kind == "CLIENT" for span in mongo)
    assert user.id in {weather_in.attributes.get("enduser.id")}


def ancestors(span: ReceivedSpan, spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
    """The spans above ``span`` in its trace, nearest first (as far as they have arrived)."""
    by_id = {each.span_id: each for each in spans}
    chain = []
    while (parent := by_id.get(span.parent_span_id)) is not None:
        chain.append(parent)
        span = parent
    return chain


async def test_one_upload_is_one_trace_from_gateway_to_the_s3_call(
    traced: StackConfig, receiver: Receiver
) -> None:
    trace_id = secrets.token_hex(16)
    async with httpx.AsyncClient(base_url=traced.gateway_url, timeout=20) as gateway:
        user = await register(gateway, "s3traced")
        headers = {**user.headers, "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
        stored = await gateway.put(
            "/api/users/me/profile-picture",
            headers=headers,
            files={"file": ("me.png", png(5, 4), "image/png")},
        )
    assert stored.status_code == 200, stored.text

    def puts(spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
        return [span for span in spans if span.name == "S3.PutObject"]

    async def complete() -> bool:
        spans = receiver.trace(trace_id)
        hops = ("gateway", "media")
        return all(only(spans, hop, "SERVER") for hop in hops) and bool(puts(spans))

    assert await eventually(complete, seconds=30), receiver.trace(trace_id)
    spans = receiver.trace(trace_id)
    (media_in,) = only(spans, "media", "SERVER")
    (gateway_in,) = only(spans, "gateway", "SERVER")
    assert media_in.attributes["http.route"] == "/api/users/me/profile-picture"
    caller, *above = ancestors(media_in, spans)  # traceparent propagated gateway → media
    assert (caller.service, caller.kind) == ("gateway", "CLIENT")
    assert gateway_in in above
    (put,) = puts(spans)  # one S3 call, one span (not another for the HTTP request under it)
    assert (put.service, put.kind) == ("media", "CLIENT")
    assert media_in in ancestors(put, spans)
    assert {
        "rpc.system": "aws-api",
        "rpc.service": "S3",
        "rpc.method": "PutObject",
        "aws.s3.bucket": traced.service_env["S3_BUCKET"],
        "http.status_code": 200,
    }.items() <= put.attributes.items()
    # aiohttp's own span for that request is suppressed under the S3 span (the workspace has
    # its instrumentation installed: the gateway uses it); media's one other call is the JWKS
    others = [s for s in only(spans, "media", "CLIENT") if not s.name.startswith("S3.")]
    assert all(
        str(s.attributes.get("http.url", s.attributes.get("url.full"))).endswith("/jwks.json")
        for s in others
    ), others


def request_counts(text: str) -> Counter[Labels]:
    counts: Counter[Labels] = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "http_server_requests_total":
                labels = sample.labels
                counts[labels["method"], labels["route"], labels["status"]] += int(sample.value)
    return counts


async def scrape(urls: dict[str, str]) -> dict[str, Counter[Labels]]:
    async with httpx.AsyncClient(timeout=10) as client:
        return {
            name: request_counts((await client.get(f"{url}/metrics")).raise_for_status().text)
            for name, url in urls.items()
        }


async def test_each_service_counts_exactly_the_requests_made(
    system: System, gateway: httpx.AsyncClient, alice: User
) -> None:
    if system.supervisor is None:
        pytest.skip("the services' own ports are known for the local stack only")
    config = system.supervisor.config
    urls = {name: config.url(name) for name in ("gateway", *current().names)}
    before = await scrape(urls)

    h = alice.headers
    assert (await gateway.put(PREFS, json={"city": "Oslo"}, headers=h)).status_code == 200
    for _ in range(2):
        assert (await gateway.get("/api/weather/me", headers=h)).status_code == 200
    assert (await gateway.get("/api/posts")).status_code == 200
    assert (await gateway.get("/api/users/me", headers=h)).status_code == 200
    assert (await gateway.get("/api/users/me/profile-picture", headers=h)).status_code == 404

    after = await scrape(urls)
    expected: dict[str, Counter[Labels]] = {
        "gateway": Counter(
            {
                ("PUT", PREFS, "200"): 1,
                ("GET", "/api/weather/{rest:path}", "200"): 2,
                ("GET", "/api/posts", "200"): 1,
                ("GET", "/api/users/{user_id}", "200"): 1,
                ("GET", "/api/users/{user_id}/profile-picture", "404"): 1,
            }
        ),
        "preferences": Counter({("PUT", PREFS, "200"): 1, ("GET", PREFS, "200"): 2}),
        "weather": Counter({("GET", "/api/weather/me", "200"): 2}),
        "content": Counter({("GET", "/api/posts", "200"): 1}),
        "auth": Counter({("GET", "/api/users/me", "200"): 1}),
        "media": Counter({("GET", "/api/users/me/profile-picture", "404"): 1}),
    }
    for name in urls:
        made = after[name] - before[name]
        # Probes come from the supervisor and the gateway; a service fetching auth's key set or
        # polling its revocation feed is its own doing: none is a request this test made.
        made = Counter(
            {
                labels: count
                for labels, count in made.items()
                if labels[1] not in PROBES
                and labels[1] not in ("/api/auth/jwks.json", "/internal/revocations")
            }
        )
        assert made == expected[name], name
