"""Bodies stream through the gateway both ways, and the body-size cap holds at the edge.

Each streaming test makes a buffering gateway deadlock: the sender waits to produce its second
chunk until the other side has seen the first. ``fail_after`` only turns that hang into a
failure; nothing here measures time.
"""

import json
from collections.abc import AsyncIterator, Callable

import anyio
import httpx
import pytest
import respx
from asgi_lifespan import LifespanManager
from httpx import ASGITransport, AsyncClient, Response

from gateway.core.config import GatewaySettings
from gateway.main import create_app

from .conftest import Call, asgi_call

pytestmark = pytest.mark.anyio

CHUNK = 64 * 1024
CAP = 3 * CHUNK
UPLOAD = "/api/users/me/profile-picture"


class Body(httpx.AsyncByteStream):
    """A response body as a real transport gives it: streamed, not read yet."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.content


class ReadingService(httpx.AsyncBaseTransport):
    """A service that reads the request body chunk by chunk as it arrives.

    respx reads a request body whole before it answers, so it cannot show streaming; this can.
    """

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.headers: httpx.Headers | None = None
        self.on_chunk: Callable[[bytes], None] = lambda chunk: None
        self.finished = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.headers = request.headers
        assert isinstance(request.stream, httpx.AsyncByteStream)
        async for chunk in request.stream:
            self.chunks.append(chunk)
            self.on_chunk(chunk)
        self.finished = True
        answer = json.dumps({"received": sum(map(len, self.chunks))}).encode()
        return Response(201, headers={"Content-Type": "application/json"}, stream=Body(answer))


@pytest.fixture
def service() -> ReadingService:
    return ReadingService()


@pytest.fixture
async def streaming_client(
    settings: GatewaySettings, service: ReadingService
) -> AsyncIterator[AsyncClient]:
    app = create_app(settings.model_copy(update={"gateway_max_body_bytes": CAP}), transport=service)
    async with (
        LifespanManager(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://gw") as client,
    ):
        yield client


def lockstep_body(service: ReadingService, chunks: int) -> AsyncIterator[bytes]:
    """Yields each chunk only once the service has read the one before."""
    seen = anyio.Semaphore(0)
    service.on_chunk = lambda chunk: seen.release()

    async def body() -> AsyncIterator[bytes]:
        for index in range(chunks):
            if index:
                with anyio.fail_after(5):
                    await seen.acquire()
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
    assert service.chunks == [b"A" * CHUNK, b"B" * CHUNK, b"C" * CHUNK]
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
    assert sum(map(len, service.chunks)) <= CAP  # never more than the cap went on
    assert not service.finished


async def test_a_body_of_exactly_the_cap_is_accepted(
    streaming_client: AsyncClient, service: ReadingService
) -> None:
    response = await streaming_client.put(UPLOAD, content=b"x" * CAP)

    assert response.status_code == 201
    assert response.json() == {"received": CAP}


async def test_a_non_numeric_content_length_is_a_400(
    call: Call, services: respx.MockRouter
) -> None:
    answer = await call("PUT", UPLOAD, headers=[("content-length", "lots")])

    assert answer.status == 400
    assert answer.body == b'{"detail":"Invalid Content-Length header"}'
    assert not services.calls


async def test_a_client_that_disconnects_mid_upload_aborts_the_service_request(
    settings: GatewaySettings, service: ReadingService
) -> None:
    app = create_app(settings, transport=service)

    async def body() -> AsyncIterator[bytes | None]:
        yield b"x" * CHUNK
        yield None  # the client goes away

    async with LifespanManager(app):
        answer = await asgi_call(
            app, "PUT", UPLOAD, headers=[("transfer-encoding", "chunked")], body=body()
        )

    assert answer.start is None  # nobody left to answer
    assert service.chunks == [b"x" * CHUNK]
    assert not service.finished


class LockstepStream(httpx.AsyncByteStream):
    """A service's answer: the second chunk exists only once the client has the first."""

    def __init__(self) -> None:
        self.first_delivered = anyio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"first,"
        with anyio.fail_after(5):
            await self.first_delivered.wait()
        yield b"second"


async def test_a_response_body_reaches_the_client_chunk_by_chunk(
    call: Call, services: respx.MockRouter
) -> None:
    stream = LockstepStream()
    services.get("http://content.internal/api/posts").mock(
        Response(200, stream=stream, headers={"Content-Type": "text/plain"})
    )

    async def on_body(message: dict[str, object]) -> None:
        if message["body"] == b"first,":
            stream.first_delivered.set()

    answer = await call("GET", "/api/posts", on_body=on_body)

    assert answer.status == 200
    assert [m["body"] for m in answer.bodies if m["body"]] == [b"first,", b"second"]
    assert answer.complete


async def test_a_small_answer_with_a_length_is_sent_in_one_message(
    call: Call, services: respx.MockRouter
) -> None:
    services.get("http://content.internal/api/posts").mock(Response(200, json=[]))

    answer = await call("GET", "/api/posts")

    assert answer.bodies == [{"type": "http.response.body", "body": b"[]", "more_body": False}]


class BrokenStream(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"partial"
        raise httpx.ReadError("connection reset")


async def test_a_service_failing_mid_answer_leaves_the_response_unfinished(
    call: Call, services: respx.MockRouter
) -> None:
    """Too late for an error status: the client must see a truncated answer, not a short one."""
    services.get("http://content.internal/api/posts").mock(Response(200, stream=BrokenStream()))

    answer = await call("GET", "/api/posts")

    assert answer.status == 200
    assert answer.body == b"partial"
    assert not answer.complete
