"""Proxying: what a service receives, what the client gets back, and how faults are reported."""

import gzip
import json

import pytest
from aiohttp import web
from httpx import AsyncClient

from gateway.core.config import GatewaySettings
from inkwell_runtime.logging import configure_logging

from .conftest import CLIENT_IP, Call, Services, running
from .fakes import black_hole, closed_port_url

pytestmark = pytest.mark.anyio

ME = "/api/users/me"
WEATHER = "/api/weather/Lisbon"


async def test_method_body_query_and_status_pass_through(
    client: AsyncClient, services: Services
) -> None:
    route = services["content"].on(
        "PATCH", "/api/posts/7", status=409, json={"detail": "Conflict"}, headers={"ETag": '"v2"'}
    )

    response = await client.patch("/api/posts/7?draft=true", json={"title": "New"})

    assert response.status_code == 409
    assert response.json() == {"detail": "Conflict"}
    assert response.headers["etag"] == '"v2"'
    forwarded = route.last
    assert forwarded.query == "draft=true"
    assert forwarded.json() == {"title": "New"}
    assert forwarded.headers["content-type"] == "application/json"


async def test_no_header_is_added_that_the_client_did_not_send(
    call: Call, services: Services
) -> None:
    """The upstream client adds none of its defaults (User-Agent, Accept, Accept-Encoding …)."""
    route = services["auth"].on("GET", ME, json={})

    answer = await call("GET", ME, headers=[("x-app", "1")])

    assert answer.status == 200
    sent = {name.lower() for name in route.last.headers}
    assert sent == {
        "host",
        "x-app",
        "x-request-id",
        "x-forwarded-for",
        "x-forwarded-proto",
        "x-forwarded-host",
    }


async def test_end_to_end_headers_are_forwarded_and_hop_by_hop_ones_dropped(
    client: AsyncClient, services: Services
) -> None:
    route = services["auth"].on("GET", ME, json={})

    await client.get(
        ME,
        headers={
            "Authorization": "Bearer t0ken",
            "Connection": "keep-alive, X-Secret-Hop",
            "X-Secret-Hop": "for the gateway only",
            "Keep-Alive": "timeout=5",
            "Proxy-Authorization": "Basic Zm9vOmJhcg==",
            "TE": "trailers",
            "Upgrade": "h2c",
        },
    )

    forwarded = route.last.headers
    assert forwarded["authorization"] == "Bearer t0ken"
    for hop in ("x-secret-hop", "keep-alive", "proxy-authorization", "te", "upgrade"):
        assert hop not in forwarded
    assert forwarded["host"] == services["auth"].url.removeprefix("http://")


async def test_forwarded_headers_name_the_real_client_not_what_it_claims(
    client: AsyncClient, services: Services
) -> None:
    route = services["auth"].on("GET", ME, json={})

    await client.get(
        ME,
        headers={
            "X-Forwarded-For": "10.0.0.1",
            "X-Forwarded-Host": "evil.example",
            "Forwarded": "for=10.0.0.1",
        },
    )

    forwarded = route.last.headers
    assert forwarded.getall("x-forwarded-for") == [CLIENT_IP]
    assert forwarded["x-forwarded-proto"] == "http"
    assert forwarded.getall("x-forwarded-host") == ["gateway.test"]
    assert "forwarded" not in forwarded


async def test_response_hop_by_hop_headers_are_dropped(
    client: AsyncClient, services: Services
) -> None:
    services["auth"].on(
        "GET",
        ME,
        body=b"{}",
        headers={
            "Content-Type": "application/json",
            "Keep-Alive": "timeout=5",
            "Server": "uvicorn",
            "Set-Cookie": "a=b",
        },
    )

    response = await client.get(ME)

    assert "keep-alive" not in response.headers
    assert "server" not in response.headers  # the gateway's server names itself
    assert response.headers["set-cookie"] == "a=b"
    assert response.headers["content-length"] == "2"


async def test_encoded_bodies_pass_through_untouched(
    client: AsyncClient, services: Services
) -> None:
    """The gateway forwards the raw bytes: what the service compressed stays compressed."""
    payload = gzip.compress(b'{"hello": "world"}')
    services["auth"].on("GET", ME, body=payload, headers={"Content-Encoding": "gzip"})

    response = await client.get(ME, headers={"Accept-Encoding": "gzip"})

    assert response.headers["content-length"] == str(len(payload))
    assert response.json() == {"hello": "world"}  # httpx decodes what the gateway passed on


async def test_request_id_is_taken_forwarded_and_echoed_once(
    client: AsyncClient, services: Services
) -> None:
    route = services["auth"].on("GET", ME, json={}, headers={"X-Request-ID": "trace-1"})

    response = await client.get(ME, headers={"X-Request-ID": "trace-1"})

    assert route.last.headers["x-request-id"] == "trace-1"
    assert response.headers.get_list("x-request-id") == ["trace-1"]


async def test_request_id_is_generated_when_missing(
    client: AsyncClient, services: Services
) -> None:
    route = services["auth"].on("GET", ME, json={})

    response = await client.get(ME)

    generated = response.headers["x-request-id"]
    assert len(generated) == 32
    assert route.last.headers["x-request-id"] == generated


async def test_pooled_connections_are_reused_across_requests(
    client: AsyncClient, services: Services
) -> None:
    peers: list[object] = []

    async def remember_peer(request: web.BaseRequest) -> web.StreamResponse:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        return web.json_response({})

    services["auth"].on("GET", ME, remember_peer)

    statuses = [(await client.get(ME)).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert len(set(peers)) == 1  # one connection from the gateway's pool, kept alive


async def test_a_service_that_refuses_connections_is_a_503(settings: GatewaySettings) -> None:
    """A real connection refused, through the real pooled session."""
    async with running(settings.model_copy(update={"media_url": closed_port_url()})) as client:
        response = await client.get("/api/users/me/profile-picture")

    assert response.status_code == 503
    assert response.json() == {"detail": "media service unavailable"}
    assert "retry-after" in response.headers


async def test_a_service_that_cannot_be_connected_to_in_time_is_a_503(
    settings: GatewaySettings,
) -> None:
    """The connection never completes (a full backlog drops the SYN): unavailable, not slow."""
    with black_hole() as url:
        update = {"weather_url": url, "gateway_timeout_seconds": 0.2}
        async with running(settings.model_copy(update=update)) as client:
            response = await client.get(WEATHER)

    assert response.status_code == 503
    assert response.json() == {"detail": "weather service unavailable"}


async def test_a_service_that_does_not_answer_in_time_is_a_504(
    settings: GatewaySettings, services: Services
) -> None:
    weather = services["weather"]
    weather.on("GET", WEATHER, weather.hang)

    async with running(settings.model_copy(update={"gateway_timeout_seconds": 0.2})) as client:
        response = await client.get(WEATHER)

    assert response.status_code == 504
    assert response.json() == {"detail": "weather service timed out after 0.2 s"}


async def test_a_service_that_breaks_the_protocol_is_a_502(
    client: AsyncClient, services: Services
) -> None:
    async def garbage(request: web.BaseRequest) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.write(b"this is not HTTP\r\n\r\n")
        request.transport.close()
        return web.Response()

    services["auth"].on("GET", ME, garbage)

    response = await client.get(ME)

    assert response.status_code == 502
    assert response.json() == {"detail": "auth service failed to answer"}


async def test_every_log_line_of_a_failed_request_carries_its_request_id(
    settings: GatewaySettings, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("gateway", "INFO")  # as serve does at process start; to captured stderr
    async with running(settings.model_copy(update={"auth_url": closed_port_url()})) as client:
        await client.get(ME, headers={"X-Request-ID": "trace-42"})

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert {line["logger"] for line in lines} >= {"gateway.proxy"}
    assert {line["request_id"] for line in lines} == {"trace-42"}


async def test_a_raw_non_ascii_path_reaches_the_service_byte_for_byte(
    call: Call, services: Services
) -> None:
    """Some clients send UTF-8 unescaped; the service gets the same bytes, percent-encoded."""
    route = services["weather"].on("GET", "/api/weather/S%C3%A3o%20Paulo", json={"city": "x"})

    answer = await call("GET", "/api/weather/São%20Paulo")

    assert answer.status == 200
    assert route.last.target == "/api/weather/S%C3%A3o%20Paulo"
