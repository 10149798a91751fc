"""Bodies stream through the gateway both ways, and the body-size cap holds at the edge.

Each streaming test makes a buffering gateway deadlock: the sender waits to produce its second
chunk until the other side has seen the first. ``fail_after`` only turns that hang into a
failure; nothing here measures time.
"""

import asyncio
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import anyio
import pytest
from aiohttp import web
from fastapi import FastAPI
from httpx import AsyncClient
from multidict import CIMultiDictProxy

from gateway.core.config import GatewaySettings

from .conftest import Call, Services, asgi_call, running

pytestmark = pytest.mark.anyio

CHUNK = 64 * 1024
CAP = 3 * CHUNK
UPLOAD = "/api/users/me/profile-picture"
POSTS = "/api/posts"


class ReadingService:
    """Media, reading the upload as it arrives off the socket (never waiting for all of it)."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.headers: CIMultiDictProxy[str] | None = None
        self.finished = False
        self.done = anyio.Event()
        self._progress = asyncio.Event()

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        self.headers = request.headers
        try:
            async for data in request.content.iter_any():
                self.received += data
                self._progress.set()
                self._progress = asyncio.Event()
            self.finished = True
        finally:
            self.done.set()
        return web.json_response({"received": len(self.received)}, status=201)

    async def has_received(self, size: int) -> None:
        with anyio.fail_after(5):
            while len(self.received) < size:
                await self._progress.wait()


@pytest.fixture
def service(services: Services) -> ReadingService:
    reader = ReadingService()
    services["media"].on("PUT", UPLOAD, reader.handle, reads_body=True)
    return reader


@pytest.fixture
async def streaming_client(settings: GatewaySettings) -> AsyncIterator[AsyncClient]:
    async with running(settings.model_copy(update={"gateway_max_body_bytes": CAP})) as client:
        yield client


def lockstep_body(service: ReadingService, chunks: int) -> AsyncIterator[bytes]:
    """Yields each chunk only once the service has read all the ones before."""

    async def body() -> AsyncIterator[bytes]:
        for index in range(chunks):
            await service.has_received(index * CHUNK)
            yield bytes([65 + index]) * CHUNK

    return body()


@pytest.mark.parametrize("framing", ["chunked", "content-length"])
async def test_a_request_body_reaches_the_service_chunk_by_chunk(
    streaming_client: AsyncClient, service: ReadingService, framing: str
) -> None:
    headers = {"Content-Length": str(3 * CHUNK)} if framing == "content-length" else {}

    response = await streaming_client.put(
        UPLOAD, content=lockstep_body(service, 3), headers=headers
    )

    assert response.status_code == 201
    assert response.json() == {"received": 3 * CHUNK}
    assert service.received == b"A" * CHUNK + b"B" * CHUNK + b"C" * CHUNK
    assert service.headers is not None
    if framing == "content-length":
        assert service.headers["content-length"] == str(3 * CHUNK)
        assert "transfer-encoding" not in service.headers
    else:
        assert service.headers["transfer-encoding"] == "chunked"


async def test_a_declared_oversized_body_is_refused_before_it_is_read(
    streaming_client: AsyncClient, service: ReadingService
) -> None:
    pulled: list[bytes] = []

    async def body() -> AsyncIterator[bytes]:
        pulled.append(b"x")
        yield b"x" * CHUNK

    response = await streaming_client.put(
        UPLOAD, content=body(), headers={"Content-Length": str(CAP + 1)}
    )

    assert response.status_code == 413
    assert response.json() == {"detail": f"Request body too large: the limit is {CAP} bytes"}
    assert pulled == []
    assert service.headers is None  # the service never heard of it


async def test_a_chunked_body_over_the_cap_is_cut_off_with_a_413(
    streaming_client: AsyncClient, service: ReadingService
) -> None:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * CHUNK

    response = await streaming_client.put(UPLOAD, content=body())

    assert response.status_code == 413
    with anyio.fail_after(5):
        await service.done.wait()
    assert len(service.received) <= CAP  # never more than the cap went on
    assert not service.finished  # and the service saw the upload break off, not end


async def test_a_body_of_exactly_the_cap_is_accepted(
    streaming_client: AsyncClient, service: ReadingService
) -> None:
    response = await streaming_client.put(UPLOAD, content=b"x" * CAP)

    assert response.status_code == 201
    assert response.json() == {"received": CAP}


async def test_a_non_numeric_content_length_is_a_400(call: Call, service: ReadingService) -> None:
    answer = await call("PUT", UPLOAD, headers=[("content-length", "lots")])

    assert answer.status == 400
    assert answer.body == b'{"detail":"Invalid Content-Length header"}'
    assert service.headers is None


async def test_a_client_that_disconnects_mid_upload_aborts_the_service_request(
    app: FastAPI, service: ReadingService
) -> None:
    async def body() -> AsyncIterator[bytes | None]:
        yield b"x" * CHUNK
        await service.has_received(CHUNK)
        yield None  # the client goes away

    answer = await asgi_call(
        app, "PUT", UPLOAD, headers=[("transfer-encoding", "chunked")], body=body()
    )

    assert answer.start is None  # nobody left to answer
    with anyio.fail_after(5):
        await service.done.wait()
    assert service.received == b"x" * CHUNK
    assert not service.finished  # the service saw the upload break off, not end


async def test_a_response_body_reaches_the_client_chunk_by_chunk(
    call: Call, services: Services
) -> None:
    first_delivered = anyio.Event()

    async def lockstep(request: web.BaseRequest) -> web.StreamResponse:
        """The second chunk exists only once the client has the first."""
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        await response.write(b"first,")
        with anyio.fail_after(5):
            await first_delivered.wait()
        await response.write(b"second")
        await response.write_eof()
        return response

    services["content"].on("GET", POSTS, lockstep)

    async def on_body(message: MutableMapping[str, Any]) -> None:
        if message["body"] == b"first,":
            first_delivered.set()

    answer = await call("GET", POSTS, on_body=on_body)

    assert answer.status == 200
    assert [m["body"] for m in answer.bodies if m["body"]] == [b"first,", b"second"]
    assert answer.complete


async def test_a_small_answer_with_a_length_is_sent_in_one_message(
    call: Call, services: Services
) -> None:
    services["content"].on("GET", POSTS, json=[])

    answer = await call("GET", POSTS)

    assert answer.bodies == [{"type": "http.response.body", "body": b"[]", "more_body": False}]


@pytest.mark.parametrize("framing", ["chunked", "content-length"])
async def test_a_service_failing_mid_answer_leaves_the_response_unfinished(
    call: Call, services: Services, framing: str
) -> None:
    """Too late for an error status: the client must see a truncated answer, not a short one."""

    async def broken(request: web.BaseRequest) -> web.StreamResponse:
        response = web.StreamResponse()
        if framing == "content-length":
            response.content_length = 100
        await response.prepare(request)
        await response.write(b"partial")
        assert request.transport is not None
        request.transport.close()  # the service dies mid-answer
        return response

    services["content"].on("GET", POSTS, broken)

    answer = await call("GET", POSTS)

    assert answer.status == 200
    assert answer.body == b"partial"
    assert not answer.complete
