"""The proxy: a pure ASGI app that streams a request to its service and the answer back.

Nothing here buffers a body: the request body goes to httpx as an async iterator of the ASGI
``receive`` chunks (counted against the size cap), and the response goes back chunk by chunk
from ``aiter_raw()`` (still encoded, so ``Content-Encoding`` and ``Content-Length`` stay true).
Downstream faults become clear JSON errors; a service is never the cause of a 500 here.
"""

import logging
from collections.abc import AsyncIterator, Mapping
from functools import lru_cache
from typing import Any

import httpx
from fastapi import HTTPException
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from gateway.ratelimit import LoginRateLimiter
from gateway.routing import RATE_LIMITED_PATHS, RouteTable
from inkwell_runtime.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

SERVICE_KEY = "gateway.service"
"""The scope key the route table's match puts the owning service under."""

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# The gateway sets these itself (X-Forwarded-*, Host); ``expect`` is answered by the server.
DROPPED_REQUEST_HEADERS = HOP_BY_HOP | {
    b"host",
    b"expect",
    b"forwarded",
    b"x-forwarded-for",
    b"x-forwarded-host",
    b"x-forwarded-proto",
}
# The server adds its own date and server; the request-id middleware echoes X-Request-ID.
DROPPED_RESPONSE_HEADERS = HOP_BY_HOP | {b"date", b"server", b"x-request-id"}


class BodyTooLarge(Exception):
    pass


class ClientDisconnected(Exception):
    pass


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"Request body too large: the limit is {limit} bytes")


URL_CACHE_SIZE = 1024
"""Parsed upstream URLs kept (~0.5 KiB each): parsing one costs as much as the rest of a forward."""


def upstream_url(base: str, target: bytes) -> httpx.URL:
    """``base`` plus the request's raw path and query, its bytes kept exactly as sent."""
    try:
        text = target.decode("ascii")
    except UnicodeDecodeError:
        text = "".join(chr(byte) if byte < 0x80 else f"%{byte:02X}" for byte in target)
    return httpx.URL(base + text)


def _connection_tokens(value: bytes) -> set[bytes]:
    return {token.strip().lower() for token in value.split(b",") if token.strip()}


async def _request_body(receive: Receive, limit: int) -> AsyncIterator[bytes]:
    """The client's body as it arrives, never more than ``limit`` bytes of it."""
    received = 0
    more_body = True
    while more_body:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk: bytes = message.get("body", b"")
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge
        more_body = message.get("more_body", False)
        if chunk:
            yield chunk


class Proxy:
    """Forwards a routed request to its service (``scope[SERVICE_KEY]``) over one pooled client.

    ``transport`` is the connection pool of the app's one ``httpx.AsyncClient``, set by the
    lifespan that owns the client. Requests go to it directly: a proxy wants none of the
    client's cookie jar, redirect handling or per-request log line, which cost more CPU than
    all the forwarding itself.
    """

    def __init__(
        self,
        services: Mapping[str, str],
        *,
        timeout_seconds: float,
        max_body_bytes: int,
        limiter: LoginRateLimiter | None,
    ) -> None:
        self.services = {name: url.rstrip("/") for name, url in services.items()}
        self._url = lru_cache(maxsize=URL_CACHE_SIZE)(upstream_url)
        self.timeout = httpx.Timeout(timeout_seconds).as_dict()
        self.max_body_bytes = max_body_bytes
        self.limiter = limiter
        self.transport: httpx.AsyncBaseTransport | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        service: str = scope[SERVICE_KEY]
        headers, has_body = self._forwarded_headers(scope)
        if self.limiter is not None and scope["path"] in RATE_LIMITED_PATHS:
            await self._check_rate(scope)

        target = scope.get("raw_path") or scope["path"].encode()
        if query := scope.get("query_string"):
            target += b"?" + query
        request = httpx.Request(
            scope["method"],
            self._url(self.services[service], target),
            headers=headers,
            content=_request_body(receive, self.max_body_bytes) if has_body else None,
            extensions={"timeout": self.timeout},
        )
        response = await self._send(service, request)
        if response is not None:
            await self._stream_back(service, response, send)

    def _forwarded_headers(self, scope: Scope) -> tuple[list[tuple[bytes, bytes]], bool]:
        """The headers to forward and whether a body follows; 413 up front on Content-Length."""
        forwarded: list[tuple[bytes, bytes]] = []
        host = content_length = connection = None
        chunked = False
        for name, value in scope["headers"]:
            if name in DROPPED_REQUEST_HEADERS:
                if name == b"host":
                    host = value
                elif name == b"transfer-encoding":
                    chunked = True
                elif name == b"connection":
                    connection = value
                continue
            if name == b"content-length":
                content_length = value
            forwarded.append((name, value))
        if connection is not None:
            extra = _connection_tokens(connection)
            forwarded = [(name, value) for name, value in forwarded if name not in extra]
        if client := scope.get("client"):
            forwarded.append((b"x-forwarded-for", client[0].encode("latin-1")))
        forwarded.append((b"x-forwarded-proto", scope.get("scheme", "http").encode("latin-1")))
        if host is not None:
            forwarded.append((b"x-forwarded-host", host))

        if content_length is None:
            return forwarded, chunked
        try:
            length = int(content_length)
        except ValueError:
            raise HTTPException(400, "Invalid Content-Length header") from None
        if length > self.max_body_bytes:
            raise too_large(self.max_body_bytes)
        return forwarded, length > 0 or chunked

    async def _check_rate(self, scope: Scope) -> None:
        assert self.limiter is not None
        client = scope.get("client")
        retry_after = await self.limiter.hit(client[0] if client else "unknown")
        if retry_after is not None:
            logger.warning("login rate limit reached by %s", client[0] if client else "unknown")
            raise HTTPException(
                429,
                f"Too many login attempts; try again in {retry_after} seconds",
                headers={"Retry-After": str(retry_after)},
            )

    async def _send(self, service: str, request: httpx.Request) -> httpx.Response | None:
        """The service's response (headers read, body not yet), or a clear error raised."""
        if self.transport is None:
            raise RuntimeError("the gateway's lifespan has not started its HTTP client")
        try:
            response = await self.transport.handle_async_request(request)
        except BodyTooLarge:
            raise too_large(self.max_body_bytes) from None
        except ClientDisconnected:
            logger.info("client disconnected while sending its body to %s", service)
            return None
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            logger.warning("%s service unreachable: %r", service, exc)
            raise ServiceUnavailable(f"{service} service unavailable") from exc
        except httpx.TimeoutException as exc:
            logger.warning("%s service timed out: %r", service, exc)
            raise HTTPException(504, f"{service} service timed out") from exc
        except httpx.TransportError as exc:
            logger.warning("%s service failed: %r", service, exc)
            raise HTTPException(502, f"{service} service failed to answer") from exc
        response.request = request
        return response

    async def _stream_back(self, service: str, response: httpx.Response, send: Send) -> None:
        try:
            headers = [
                (name.lower(), value)
                for name, value in response.headers.raw
                if name.lower() not in DROPPED_RESPONSE_HEADERS
            ]
            await send(
                {"type": "http.response.start", "status": response.status_code, "headers": headers}
            )
            # Each chunk goes out as it arrives. With a Content-Length, the chunk that completes
            # it is sent as the last one, so a small answer is a single write.
            remaining = _content_length(response)
            finished = False
            async for chunk in response.aiter_raw():
                if remaining is not None:
                    remaining -= len(chunk)
                    finished = remaining <= 0
                await send({"type": "http.response.body", "body": chunk, "more_body": not finished})
            if not finished:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except httpx.HTTPError as exc:
            # Too late for a status: returning unfinished makes the server drop the connection,
            # so the client sees a truncated answer, never a silently shortened one.
            logger.warning("%s service failed mid-response: %r", service, exc)
        finally:
            await response.aclose()


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


class ProxyRoute(BaseRoute):
    """The route table as a Starlette route: matches what the table routes, nothing else."""

    def __init__(self, table: RouteTable, proxy: Proxy) -> None:
        self.table = table
        self.proxy = proxy

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http":
            service = self.table.resolve(scope["path"])
            if service is not None:
                return Match.FULL, {SERVICE_KEY: service}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.proxy(scope, receive, send)
