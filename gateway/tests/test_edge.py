"""Edge limits (``gateway.edge``): oversized heads, slow heads and bodies, over a real socket."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn

from gateway.core.config import GatewaySettings
from gateway.edge import EdgeProtocol

pytestmark = pytest.mark.anyio

LIMITS = {
    "gateway_max_header_bytes": 4096,
    "gateway_header_timeout_seconds": 0.3,
    "gateway_body_timeout_seconds": 0.3,
}


async def echo_size(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An app that reads the whole body and answers its size."""
    if scope["type"] != "http":
        return
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = json.dumps({"size": size}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@asynccontextmanager
async def serving(app: Any, settings: GatewaySettings) -> AsyncIterator[int]:
    """``app`` under uvicorn with the edge protocol (``LIMITS``), on a free port."""
    protocol = type("TestEdge", (EdgeProtocol,), {"settings": settings.model_copy(update=LIMITS)})
    config = uvicorn.Config(app, host="127.0.0.1", port=0, http=protocol, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def port(settings: GatewaySettings) -> AsyncIterator[int]:
    async with serving(echo_size, settings) as port:
        yield port


async def exchange(port: int, *parts: bytes, pause: float = 0) -> tuple[int, dict[str, Any]]:
    """Send ``parts`` (``pause`` seconds apart), then read the answer until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for part in parts:
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(pause)
        raw = await reader.read()
    except ConnectionResetError:
        raw = b""
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, json.loads(body) if body else {}


async def test_a_head_past_the_limit_is_431(port: int) -> None:
    huge = b"GET / HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 10_000 + b"\r\n\r\n"

    status, body = await exchange(port, huge)

    assert status == 431
    assert body == {"detail": "Request line and headers too large: the limit is 4096 bytes"}


async def test_a_head_within_the_limit_is_served(port: int) -> None:
    status, body = await exchange(
        port, b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\nconnection: close\r\n\r\nabc"
    )

    assert (status, body) == (200, {"size": 3})


async def test_a_head_that_never_ends_is_408(port: int) -> None:
    status, body = await exchange(port, b"GET / HTTP/1.1\r\nhost: x\r\n")

    assert status == 408
    assert body == {"detail": "Request headers not received within 0.3 seconds"}


async def test_a_connection_that_sends_nothing_is_closed_with_408(port: int) -> None:
    status, _ = await exchange(port)

    assert status == 408


async def test_a_body_that_trickles_in_is_cut_off_with_408(port: int) -> None:
    head = b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n"

    status, body = await exchange(port, head, b"a", b"b", pause=0.1)

    assert status == 408
    assert body == {"detail": "Request body not received within 0.3 seconds"}


async def test_a_head_growing_past_the_limit_in_pieces_is_431(port: int) -> None:
    start = b"GET / HTTP/1.1\r\nhost: x\r\nx-big: "

    status, _ = await exchange(port, start, b"a" * 3000, b"a" * 3000, pause=0.05)

    assert status == 431


async def early_answer(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An app that answers without reading the body (as a 404 or a 429 does)."""
    if scope["type"] != "http":
        return
    headers = [(b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    await send({"type": "http.response.body", "body": b"{}"})


async def test_a_body_never_sent_after_an_early_answer_only_closes(
    settings: GatewaySettings,
) -> None:
    async with serving(early_answer, settings) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n")
        raw = await reader.read()  # until the body timeout closes the connection
        writer.close()

    assert raw.startswith(b"HTTP/1.1 404")
    assert b"408" not in raw  # no second, unasked-for answer
