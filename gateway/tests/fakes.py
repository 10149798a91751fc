"""Fake services for the gateway suite: real HTTP servers on 127.0.0.1 that record what they get.

The gateway's upstream client is aiohttp, so the services it calls are real sockets here (not
mocks inside a client library): a test declares what a service answers on a route and then
checks what the service received on the wire, byte for byte. A request no test expected gets
a 599 answer and fails the test at teardown.
"""

import asyncio
import json as jsonlib
import socket
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import RawTestServer
from multidict import CIMultiDictProxy

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Received:
    """One request as the service saw it."""

    method: str
    target: str
    """Path and query exactly as sent (still percent-encoded)."""
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def json(self) -> Any:
        return jsonlib.loads(self.body)


@dataclass
class Route:
    """What one method + path answers, and every request it got."""

    handler: Handler
    reads_body: bool
    calls: list[Received] = field(default_factory=list)

    @property
    def called(self) -> bool:
        return bool(self.calls)

    @property
    def last(self) -> Received:
        assert self.calls, "the service got no request on this route"
        return self.calls[-1]


def answer(
    status: int = 200,
    *,
    json: Any = None,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
) -> Handler:
    """A handler that always gives the same answer (``json`` sets the content type)."""
    all_headers = dict(headers or {})
    if json is not None:
        body = jsonlib.dumps(json).encode()
        all_headers.setdefault("Content-Type", "application/json")

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(status=status, body=body, headers=all_headers)

    return handler


class FakeService:
    """One service: routes keyed by method and raw path, on a server of its own."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.routes: dict[tuple[str, str], Route] = {}
        self.unexpected: list[str] = []
        self.released = asyncio.Event()
        self.server = RawTestServer(self._handle, host="127.0.0.1")

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    @property
    def calls(self) -> list[Received]:
        return [call for route in self.routes.values() for call in route.calls]

    def on(
        self,
        method: str,
        path: str,
        handler: Handler | None = None,
        *,
        reads_body: bool = False,
        **canned: Any,
    ) -> Route:
        """Answer ``method path`` with ``handler`` (which may read the body as it streams in,
        ``reads_body=True``) or with a canned ``answer(**canned)``; the route records calls."""
        route = Route(handler or answer(**canned), reads_body=reads_body)
        self.routes[method, path] = route
        return route

    def on_any(self, handler: Handler | None = None, **canned: Any) -> Route:
        """Answer every request no other route takes (any method, any path)."""
        return self.on("*", "*", handler, **canned)

    async def hang(self, request: web.BaseRequest) -> web.StreamResponse:
        """A handler that never answers (until the test is over)."""
        await self.released.wait()
        return web.Response(status=204)

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.raw_path.partition("?")[0]
        route = self.routes.get((request.method, path)) or self.routes.get(("*", "*"))
        if route is None:
            self.unexpected.append(f"{request.method} {request.raw_path}")
            return web.Response(status=599, text=f"{self.name}: no route for {request.raw_path}")
        body = b"" if route.reads_body else await request.read()
        route.calls.append(Received(request.method, request.raw_path, request.headers, body))
        return await route.handler(request)

    def reset(self) -> list[str]:
        """Forget routes and calls, let hanging handlers finish; returns the unexpected calls."""
        unexpected, self.unexpected = self.unexpected, []
        self.routes.clear()
        self.released.set()
        self.released = asyncio.Event()
        return unexpected


@contextmanager
def black_hole() -> Iterator[str]:
    """A URL whose connections never complete: a listening socket that never accepts, with its
    one-slot backlog already taken, so the kernel drops every further SYN (loopback only)."""
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        filler.connect(("127.0.0.1", port))
        yield f"http://127.0.0.1:{port}"


def closed_port_url() -> str:
    """A URL on which nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
