"""Proxying: what a service receives, what the client gets back, and how faults are reported."""

import gzip
import json
import socket

import httpx
import pytest
import respx
from asgi_lifespan import LifespanManager
from httpx import ASGITransport, AsyncClient, Response

from gateway.core.config import GatewaySettings
from gateway.main import create_app

from .conftest import CLIENT_IP, Call

pytestmark = pytest.mark.anyio

ME = "http://auth.internal/api/users/me"


async def test_method_body_query_and_status_pass_through(
    client: AsyncClient, services: respx.MockRouter
) -> None:
    route = services.patch("http://content.internal/api/posts/7").mock(
        Response(409, json={"detail": "Conflict"}, headers={"ETag": '"v2"'})
    )

    response = await client.patch("/api/posts/7?draft=true", json={"title": "New"})

    assert response.status_code == 409
    assert response.json() == {"detail": "Conflict"}
    assert response.headers["etag"] == '"v2"'
    forwarded = route.calls.last.request
    assert forwarded.url.query == b"draft=true"
    assert json.loads(forwarded.content) == {"title": "New"}
    assert forwarded.headers["content-type"] == "application/json"


async def test_end_to_end_headers_are_forwarded_and_hop_by_hop_ones_dropped(
    client: AsyncClient, services: respx.MockRouter
) -> None:
    route = services.get(ME).mock(Response(200, json={}))

    await client.get(
        "/api/users/me",
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

    forwarded = route.calls.last.request.headers
    assert forwarded["authorization"] == "Bearer t0ken"
    for hop in ("x-secret-hop", "keep-alive", "proxy-authorization", "te", "upgrade"):
        assert hop not in forwarded
    assert forwarded["host"] == "auth.internal"


async def test_forwarded_headers_name_the_real_client_not_what_it_claims(
    client: AsyncClient, services: respx.MockRouter
) -> None:
    route = services.get(ME).mock(Response(200, json={}))

    await client.get(
        "/api/users/me",
        headers={
            "X-Forwarded-For": "10.0.0.1",
            "X-Forwarded-Host": "evil.example",
            "Forwarded": "for=10.0.0.1",
        },
    )

    forwarded = route.calls.last.request.headers
    assert forwarded.get_list("x-forwarded-for") == [CLIENT_IP]
    assert forwarded["x-forwarded-proto"] == "http"
    assert forwarded.get_list("x-forwarded-host") == ["gateway.test"]
    assert "forwarded" not in forwarded


async def test_response_hop_by_hop_headers_are_dropped(
    client: AsyncClient, services: respx.MockRouter
) -> None:
    services.get(ME).mock(
        Response(
            200,
            content=b"{}",
            headers={
                "Content-Type": "application/json",
                "Connection": "close",
                "Keep-Alive": "timeout=5",
                "Server": "uvicorn",
                "Set-Cookie": "a=b",
            },
        )
    )

    response = await client.get("/api/users/me")

    assert "keep-alive" not in response.headers
    assert "connection" not in response.headers
    assert "server" not in response.headers  # the gateway's server names itself
    assert response.headers["set-cookie"] == "a=b"
    assert response.headers["content-length"] == "2"


async def test_encoded_bodies_pass_through_untouched(
    client: AsyncClient, services: respx.MockRouter
) -> None:
    """The gateway forwards the raw bytes: what the service compressed stays compressed."""
    payload = gzip.compress(b'{"hello": "world"}')
    services.get(ME).mock(Response(200, content=payload, headers={"Content-Encoding": "gzip"}))

    response = await client.get("/api/users/me", headers={"Accept-Encoding": "gzip"})

    assert response.headers["content-length"] == str(len(payload))
    assert response.json() == {"hello": "world"}  # httpx decodes what the gateway passed on


async def test_request_id_is_taken_forwarded_and_echoed_once(
    client: AsyncClient, services: respx.MockRouter
) -> None:
    route = services.get(ME).mock(Response(200, json={}, headers={"X-Request-ID": "trace-1"}))

    response = await client.get("/api/users/me", headers={"X-Request-ID": "trace-1"})

    assert route.calls.last.request.headers["x-request-id"] == "trace-1"
    assert response.headers.get_list("x-request-id") == ["trace-1"]


async def test_request_id_is_generated_when_missing(
    client: AsyncClient, services: respx.MockRouter
) -> None:
    route = services.get(ME).mock(Response(200, json={}))

    response = await client.get("/api/users/me")

    generated = response.headers["x-request-id"]
    assert len(generated) == 32
    assert route.calls.last.request.headers["x-request-id"] == generated


async def test_a_service_that_refuses_connections_is_a_503(
    client: AsyncClient, services: respx.MockRouter
) -> None:
    services.get(ME).mock(side_effect=httpx.ConnectError("refused"))

    response = await client.get("/api/users/me")

    assert response.status_code == 503
    assert response.json() == {"detail": "auth service unavailable"}
    assert "retry-after" in response.headers


@pytest.mark.parametrize("fault", [httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout])
async def test_a_service_that_does_not_answer_in_time_is_a_504(
    client: AsyncClient, services: respx.MockRouter, fault: type[Exception]
) -> None:
    services.get("http://weather.internal/api/weather/Lisbon").mock(side_effect=fault("slow"))

    response = await client.get("/api/weather/Lisbon")

    assert response.status_code == 504
    assert response.json() == {"detail": "weather service timed out"}


async def test_a_connect_timeout_is_an_unavailable_service(
    client: AsyncClient, services: respx.MockRouter
) -> None:
    services.get(ME).mock(side_effect=httpx.ConnectTimeout("no route"))

    response = await client.get("/api/users/me")

    assert response.status_code == 503
    assert response.json() == {"detail": "auth service unavailable"}


async def test_a_service_that_breaks_the_protocol_is_a_502(
    client: AsyncClient, services: respx.MockRouter
) -> None:
    services.get(ME).mock(side_effect=httpx.RemoteProtocolError("server disconnected"))

    response = await client.get("/api/users/me")

    assert response.status_code == 502
    assert response.json() == {"detail": "auth service failed to answer"}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_an_unreachable_service_over_the_real_network_is_a_503(
    settings: GatewaySettings,
) -> None:
    """No mock: a real connection refused, through the real pooled transport."""
    app = create_app(settings.model_copy(update={"media_url": f"http://127.0.0.1:{closed_port()}"}))

    async with (
        LifespanManager(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://gw") as client,
    ):
        response = await client.get("/api/users/me/profile-picture")

    assert response.status_code == 503
    assert response.json() == {"detail": "media service unavailable"}


async def test_every_log_line_of_a_failed_request_carries_its_request_id(
    settings: GatewaySettings, services: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    services.get(ME).mock(side_effect=httpx.ConnectError("refused"))
    app = create_app(settings.model_copy(update={"log_json": True}))  # logs to captured stderr

    async with (
        LifespanManager(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://gw") as client,
    ):
        await client.get("/api/users/me", headers={"X-Request-ID": "trace-42"})

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert {line["logger"] for line in lines} >= {"gateway.proxy"}
    assert {line["request_id"] for line in lines} == {"trace-42"}


async def test_a_raw_non_ascii_path_reaches_the_service_byte_for_byte(
    call: Call, services: respx.MockRouter
) -> None:
    """Some clients send UTF-8 unescaped; the service gets the same bytes, percent-encoded."""
    route = services.get("http://weather.internal/api/weather/S%C3%A3o%20Paulo").mock(
        Response(200, json={"city": "São Paulo"})
    )

    answer = await call("GET", "/api/weather/São%20Paulo")

    assert answer.status == 200
    assert route.called
