"""One request's fault never fails another's: pooled connections a service drops, redirects."""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from fastapi import APIRouter
from httpx import AsyncClient

from gateway.core.config import GatewaySettings
from inkwell_runtime.app import build_service_app
from inkwell_runtime.jwt import SigningKey
from inkwell_runtime.settings import ServiceSettings
from inkwell_testing.tokens import TestSigner

from .conftest import Services, running

pytestmark = pytest.mark.anyio


@dataclass
class DroppingService:
    """Answers the first request on each connection (keeping it alive), then drops the
    connection on the next one, request read and no answer: a service that closed a
    connection the gateway still holds in its pool."""

    seen: list[tuple[int, str, bytes]] = field(default_factory=list)
    """(connection number, request line, body) of every request it read."""
    connections: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number, served = self.connections, 0
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.decode("latin-1").split("\r\n")
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
                self.seen.append((number, lines[0], body))
                served += 1
                if served > 1:
                    break
                payload = json.dumps({"connection": number}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def dropping() -> AsyncIterator[tuple[DroppingService, str]]:
    service = DroppingService()
    server = await asyncio.start_server(service.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield service, f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/auth/jwks.json", None),
        ("PUT", "/api/users/me/preferences", {"city": "Lisbon"}),
        ("POST", "/api/auth/logout", None),
    ],
)
async def test_a_request_on_a_dropped_pooled_connection_is_sent_again(
    settings: GatewaySettings,
    dropping: tuple[DroppingService, str],
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    service, url = dropping
    update = {"auth_url": url, "preferences_url": url}
    async with running(settings.model_copy(update=update)) as client:
        first = await client.request(method, path, json=body)
        second = await client.request(method, path, json=body)

    assert first.status_code == second.status_code == 200
    assert first.json() == {"connection": 1}
    assert second.json() == {"connection": 2}  # sent again on a new connection
    assert [number for number, _, _ in service.seen] == [1, 1, 2]
    bodies = {data for _, _, data in service.seen}  # the same body every time
    assert [json.loads(data) if data else None for data in bodies] == [body]


async def test_a_post_whose_body_went_out_is_not_sent_twice(
    settings: GatewaySettings, dropping: tuple[DroppingService, str]
) -> None:
    service, url = dropping
    big = {"title": "x" * 100_000}  # handed over before the service drops the connection
    async with running(settings.model_copy(update={"content_url": url})) as client:
        await client.get("/api/posts")
        response = await client.post("/api/posts", json=big)

    assert response.status_code == 502
    assert response.json() == {"detail": "content service failed to answer"}
    assert [line for _, line, _ in service.seen].count("POST /api/posts HTTP/1.1") <= 1


async def test_a_redirect_to_a_service_points_at_the_gateway(
    client: AsyncClient, services: Services
) -> None:
    content = services["content"]
    content.on("GET", "/api/posts/", status=307, headers={"Location": f"{content.url}/api/posts"})

    response = await client.get("/api/posts/")

    assert response.status_code == 307
    assert response.headers["location"] == "http://gateway.test/api/posts"


async def test_a_redirect_goes_to_the_configured_public_base(
    settings: GatewaySettings, services: Services
) -> None:
    auth = services["auth"]
    location = f"{auth.url}/api/auth/login?next=%2F"
    auth.on("GET", "/api/auth/login/", status=307, headers={"Location": location})
    public = settings.model_copy(update={"gateway_public_base_url": "https://blog.example/"})

    async with running(public) as client:
        response = await client.get("/api/auth/login/")

    assert response.headers["location"] == "https://blog.example/api/auth/login?next=%2F"


async def test_a_redirect_elsewhere_is_left_alone(client: AsyncClient, services: Services) -> None:
    services["auth"].on(
        "GET", "/api/auth/sso", status=302, headers={"Location": "https://id.example/authorize"}
    )

    response = await client.get("/api/auth/sso")

    assert response.headers["location"] == "https://id.example/authorize"


def failing_service() -> Any:
    """A real service app (the runtime's factory): one route that fails, one that works."""
    router = APIRouter()

    @router.post("/api/posts/broken")
    async def broken() -> None:
        raise RuntimeError("a bug in one request")

    @router.post("/api/posts")
    async def posts(post: dict[str, str]) -> dict[str, str]:
        return post

    settings = ServiceSettings(environment="test", log_json=False, log_level="CRITICAL")
    return build_service_app(
        settings,
        name="content",
        description="",
        routers=[router],
        token_verifier=TestSigner(SigningKey.generate()).verifier(),
    )


async def test_a_failing_request_never_fails_the_next_one(settings: GatewaySettings) -> None:
    """The service's server closes a connection after an unhandled error; the request sent
    next, someone else's, must not go out on it (it was a 502 once, 10 times out of 10)."""
    config = uvicorn.Config(failing_service(), host="127.0.0.1", port=0, log_level="critical")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    update = {"content_url": f"http://127.0.0.1:{port}"}
    try:
        async with running(settings.model_copy(update=update)) as client:
            statuses = []
            for _ in range(20):
                failed = await client.post("/api/posts/broken", json={"title": "bad"})
                statuses.append(failed.status_code)
                # A POST whose body goes out is never resent: only not reusing the closed
                # connection keeps it from failing.
                statuses.append((await client.post("/api/posts", json={"t": "ok"})).status_code)
    finally:
        server.should_exit = True
        await task

    assert statuses == [500, 200] * 20
