"""Small composable fixtures for the gateway suite: fake services → settings → app → client.

The services are real HTTP servers on 127.0.0.1 (``fakes.FakeService``), one per service,
started once for the suite; each test declares the routes it expects the gateway to call and
checks what they received. ``call`` drives the app over raw ASGI, for the streaming tests that
must see each ``http.response.body`` message as it is sent.
"""

from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    MutableMapping,
    Sequence,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from gateway.core.config import GatewaySettings
from gateway.main import create_app
from gateway.routing import SERVICES

from .fakes import FakeService

CLIENT_IP = "203.0.113.7"

Services = dict[str, FakeService]


@pytest.fixture(scope="session")
async def fake_services() -> AsyncIterator[Services]:
    """One listening fake per service, for the whole suite."""
    fakes = {name: FakeService(name) for name in SERVICES}
    for fake in fakes.values():
        await fake.server.start_server()
    yield fakes
    for fake in fakes.values():
        fake.reset()
        await fake.server.close()


@pytest.fixture(scope="session")
def settings(fake_services: Services) -> GatewaySettings:
    """Shared by the suite: tests that need other values build their own with ``model_copy``."""
    urls: dict[str, Any] = {f"{name}_url": fake.url for name, fake in fake_services.items()}
    return GatewaySettings(
        environment="test",
        log_json=False,
        login_rate_limit="off",
        readiness_timeout_seconds=1,
        **urls,
    )


@pytest.fixture
def services(fake_services: Services) -> Iterator[Services]:
    """Every service with no routes yet; a request nobody expected fails the test."""
    yield fake_services
    unexpected = [call for fake in fake_services.values() for call in fake.reset()]
    assert not unexpected, f"the gateway made requests no test expected: {unexpected}"


@pytest.fixture(scope="session")
async def app(settings: GatewaySettings) -> AsyncIterator[FastAPI]:
    """One gateway for the suite (it keeps no state between requests with these settings)."""
    app = create_app(settings)
    async with LifespanManager(app):
        yield app


def gateway_client(app: FastAPI, ip: str = CLIENT_IP, **headers: str) -> AsyncClient:
    """An httpx client calling ``app`` in-process over ASGI, as the client at ``ip``."""
    transport = ASGITransport(app=app, client=(ip, 50000))
    return AsyncClient(transport=transport, base_url="http://gateway.test", headers=headers)


@pytest.fixture
async def client(app: FastAPI, services: Services) -> AsyncIterator[AsyncClient]:
    async with gateway_client(app) as client:
        yield client


@asynccontextmanager
async def running(settings: GatewaySettings) -> AsyncIterator[AsyncClient]:
    """A gateway of its own (``settings``), started, with a client for it."""
    app = create_app(settings)
    async with LifespanManager(app), gateway_client(app) as client:
        yield client


@dataclass
class Answer:
    """What the app sent over ASGI, message by message."""

    start: MutableMapping[str, Any] | None = None
    bodies: list[MutableMapping[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> int:
        assert self.start is not None
        status: int = self.start["status"]
        return status

    @property
    def headers(self) -> dict[str, str]:
        assert self.start is not None
        return {k.decode(): v.decode() for k, v in self.start["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(message["body"] for message in self.bodies)

    @property
    def complete(self) -> bool:
        return bool(self.bodies) and not self.bodies[-1].get("more_body", False)


Call = Callable[..., Awaitable[Answer]]


async def asgi_call(
    app: FastAPI,
    method: str,
    path: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
    body: AsyncIterable[bytes | None] | None = None,
    on_body: Callable[[MutableMapping[str, Any]], Awaitable[None]] | None = None,
) -> Answer:
    """Send one request straight over ASGI; ``on_body`` sees each body message as it is sent.

    ``body`` yields the request's chunks; a ``None`` from it is the client disconnecting.
    """
    answer = Answer()
    chunks = body.__aiter__() if body is not None else None

    async def receive() -> dict[str, Any]:
        if chunks is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        try:
            chunk = await chunks.__anext__()
        except StopAsyncIteration:
            return {"type": "http.request", "body": b"", "more_body": False}
        if chunk is None:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.start = message
        else:
            answer.bodies.append(message)
            if on_body is not None:
                await on_body(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"gateway.test")]
        + [(k.lower().encode(), v.encode()) for k, v in headers],
        "client": (CLIENT_IP, 50000),
        "server": ("gateway.test", 80),
    }
    await app(scope, receive, send)
    return answer


@pytest.fixture
def call(app: FastAPI) -> Call:
    """``asgi_call`` on the suite's app."""
    return partial(asgi_call, app)
