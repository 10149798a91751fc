"""The proxy: a pure ASGI app that streams a request to its service and the answer back.

The upstream side is aiohttp: its C HTTP parser and lean connection pool cost a fraction of the
CPU of a pure-Python client per request, and a gateway does little else (``make bench``).
Nothing here buffers a body: the request body goes to aiohttp as an async iterator of the ASGI
``receive`` chunks (counted against the size cap), and the response goes back chunk by chunk
as it arrives (still encoded, so ``Content-Encoding`` and ``Content-Length`` stay true).
Downstream faults become clear JSON errors; a service is never the cause of a 500 here.
"""

import logging
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, NoReturn
from urllib.parse import urlsplit

import aiohttp
from fastapi import HTTPException
from multidict import CIMultiDict
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send
from yarl import URL

from gateway.ratelimit import LoginRateLimiter
from gateway.routing import RATE_LIMITED_PATHS, RouteTable
from inkwell_runtime.errors import ServiceUnavailable
from inkwell_runtime.observe import ROUTE_KEY

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


UPSTREAM_ERROR_KINDS = ("unreachable", "timeout", "failed", "truncated")
"""How a forward fails: no connection (503), no answer in time (504), a broken answer (502),
an answer cut off after its status was sent."""


class BodyTooLarge(Exception):
    pass


class ClientDisconnected(Exception):
    pass


class Gone(Exception):
    """The client went away while its request was forwarded: nobody to answer."""


class Attempt:
    """Per request, what the session's trace hooks saw (``trace_request_ctx``)."""

    reused = False


async def _on_connection_reused(session: object, context: Any, params: object) -> None:
    if isinstance(context.trace_request_ctx, Attempt):
        context.trace_request_ctx.reused = True


def connection_trace() -> aiohttp.TraceConfig:
    """Tells :meth:`Proxy._send` whether a request went out on a pooled connection."""
    trace = aiohttp.TraceConfig(trace_config_ctx_factory=SimpleNamespace)
    trace.on_connection_reuseconn.append(_on_connection_reused)
    return trace


REDIRECTS = frozenset({301, 302, 303, 307, 308})
LOCATION = "Location"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"Request body too large: the limit is {limit} bytes")


URL_CACHE_SIZE = 1024
"""Parsed upstream URLs kept: parsing one costs as much as the rest of a forward."""
URL_CACHE_MAX_TARGET = 1024
"""Only targets (path and query) up to this many bytes are cached, so the cache holds at most
``URL_CACHE_SIZE`` x ~4 x this many bytes (~4 MiB; a parsed URL takes about 4x its text). A
longer URL is rare and parsed each time: 1,000 distinct 64 KB URLs grew it to ~300 MB before."""
REPLAY_BYTES = 64 * 1024
"""How much of a request body is kept for a retry (see :meth:`Proxy._send`)."""


def upstream_url(base: str, target: bytes) -> URL:
    """``base`` plus the request's raw path and query, its bytes kept exactly as sent."""
    try:
        text = target.decode("ascii")
    except UnicodeDecodeError:
        text = "".join(chr(byte) if byte < 0x80 else f"%{byte:02X}" for byte in target)
    return URL(base + text, encoded=True)


def _connection_tokens(value: bytes) -> set[bytes]:
    return {token.strip().lower() for token in value.split(b",") if token.strip()}


class RequestBody:
    """The client's body as it arrives, never more than ``limit`` bytes of it.

    aiohttp sends it from a task of its own and reports a failure there only as a broken
    connection, so what went wrong (too large, client gone) is kept here for the proxy to tell.
    """

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive = receive
        self.limit = limit
        self.failure: Exception | None = None
        self.sent = 0
        """Bytes handed to aiohttp so far (written, or about to be, to the service)."""
        self.kept: list[bytes] | None = []
        """The bytes handed over, while they fit in ``REPLAY_BYTES``; None once they do not."""
        self.complete = False
        self._prefix: list[bytes] = []
        """What a resend hands over again first (see :meth:`replay`)."""

    def replay(self) -> "RequestBody":
        """The same body for a second attempt: what was handed over already, then the rest."""
        assert self.kept is not None
        again = RequestBody(self.receive, self.limit)
        again.kept, again.complete, again.sent = list(self.kept), self.complete, self.sent
        again._prefix = list(self.kept)
        return again

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for kept in self._prefix:
            yield kept
        received = self.sent
        more_body = not self.complete
        while more_body:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                self.failure = ClientDisconnected()
                raise self.failure
            chunk: bytes = message.get("body", b"")
            received += len(chunk)
            if received > self.limit:
                self.failure = BodyTooLarge()
                raise self.failure
            more_body = message.get("more_body", False)
            self.complete = not more_body
            if chunk:
                self.sent += len(chunk)
                if self.kept is not None:
                    self.kept.append(chunk)
                    if self.sent > REPLAY_BYTES:
                        self.kept = None
                yield chunk


class Proxy:
    """Forwards a routed request to its service (``scope[SERVICE_KEY]``) over one pooled session.

    ``session`` is the app's one ``aiohttp.ClientSession``, set by the lifespan that owns it.
    """

    def __init__(
        self,
        services: Mapping[str, str],
        *,
        max_body_bytes: int,
        limiter: LoginRateLimiter | None,
        public_base_url: str | None = None,
        timeout_seconds: float | None = None,
    ) -> None:
        self.services = {name: url.rstrip("/") for name, url in services.items()}
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.service_authorities = frozenset(
            urlsplit(url).netloc.lower() for url in self.services.values()
        )
        self._cached_url = lru_cache(maxsize=URL_CACHE_SIZE)(upstream_url)
        self.max_body_bytes = max_body_bytes
        self.limiter = limiter
        self.timeout_seconds = timeout_seconds
        self.session: aiohttp.ClientSession | None = None
        self.upstream_errors: Counter[tuple[str, str]] = Counter()
        """(service, kind) → failed forwards, ``kind`` one of :data:`UPSTREAM_ERROR_KINDS`."""
        self.rate_limited = 0
        """Login attempts answered 429."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        service: str = scope[SERVICE_KEY]
        headers, has_body = self._forwarded_headers(scope)
        if self.limiter is not None and scope["path"] in RATE_LIMITED_PATHS:
            await self._check_rate(scope)

        target = scope.get("raw_path") or scope["path"].encode()
        if query := scope.get("query_string"):
            target += b"?" + query
        body = RequestBody(receive, self.max_body_bytes) if has_body else None
        try:
            response = await self._send(
                service, scope["method"], self._url(self.services[service], target), headers, body
            )
        except Gone:
            return
        await self._stream_back(service, response, send, self._public_origin(scope))

    def _url(self, base: str, target: bytes) -> URL:
        if len(target) > URL_CACHE_MAX_TARGET:
            return upstream_url(base, target)
        return self._cached_url(base, target)

    def _public_origin(self, scope: Scope) -> str:
        """Where the client reached the gateway: ``GATEWAY_PUBLIC_BASE_URL``, else the scheme
        and ``Host`` the client used (empty without a Host: a relative ``Location`` then)."""
        if self.public_base_url is not None:
            return self.public_base_url
        for name, value in scope["headers"]:
            if name == b"host":
                return f"{scope.get('scheme', 'http')}://{value.decode('latin-1')}"
        return ""

    def public_location(self, location: bytes, origin: str) -> bytes:
        """A ``Location`` pointing at a service, pointed at the gateway instead."""
        text = location.decode("latin-1")
        parts = urlsplit(text)
        if not parts.netloc or parts.netloc.lower() not in self.service_authorities:
            return location
        rest = text[text.index(parts.netloc) + len(parts.netloc) :]
        return (origin + rest).encode("latin-1")

    def _forwarded_headers(self, scope: Scope) -> tuple[CIMultiDict[str], bool]:
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
        headers = CIMultiDict(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in forwarded
        )

        if content_length is None:
            return headers, chunked
        try:
            length = int(content_length)
        except ValueError:
            raise HTTPException(400, "Invalid Content-Length header") from None
        if length > self.max_body_bytes:
            raise too_large(self.max_body_bytes)
        return headers, length > 0 or chunked

    async def _check_rate(self, scope: Scope) -> None:
        assert self.limiter is not None
        client = scope.get("client")
        retry_after = await self.limiter.hit(client[0] if client else "unknown")
        if retry_after is not None:
            self.rate_limited += 1
            logger.warning("login rate limit reached by %s", client[0] if client else "unknown")
            raise HTTPException(
                429,
                f"Too many login attempts; try again in {retry_after} seconds",
                headers={"Retry-After": str(retry_after)},
            )

    async def _send(
        self,
        service: str,
        method: str,
        url: URL,
        headers: CIMultiDict[str],
        body: RequestBody | None,
    ) -> aiohttp.ClientResponse:
        """The service's response (headers read, body not yet), or a clear error raised.

        A request is sent again, once, when it failed on a pooled (reused) connection that the
        service closed or reset before any of its answer arrived, and resending is safe: the
        method is idempotent (GET, HEAD, OPTIONS, PUT, DELETE) and the body handed over so far
        is still held (at most ``REPLAY_BYTES``), or no body byte was handed over at all (any
        method, POST included). A fresh connection that fails, a timeout, or a failure after
        the answer began is never retried. (aiohttp itself also resends a body-less idempotent
        request once.)
        """
        if self.session is None:
            raise RuntimeError("the gateway's lifespan has not started its HTTP session")
        attempt = Attempt()
        try:
            return await self.session.request(
                method,
                url,
                headers=headers,
                data=body,
                allow_redirects=False,
                trace_request_ctx=attempt,
            )
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            if isinstance(exc, aiohttp.ClientConnectorError) or not attempt.reused:
                self._raise_for(service, exc, body)
            if body is not None and body.failure is not None:
                self._raise_for(service, exc, body)
            if (
                body is not None
                and body.sent
                and not (method in IDEMPOTENT_METHODS and body.kept is not None)
            ):
                self._raise_for(service, exc, body)
            logger.info("%s closed a pooled connection before answering; sending again", service)
            again = body.replay() if body is not None else None
            try:
                return await self.session.request(
                    method, url, headers=headers, data=again, allow_redirects=False
                )
            except aiohttp.ClientError as retry_exc:
                self._raise_for(service, retry_exc, again)
        except aiohttp.ClientError as exc:
            self._raise_for(service, exc, body)

    def _raise_for(
        self, service: str, exc: aiohttp.ClientError, body: RequestBody | None
    ) -> NoReturn:
        """The clear error for a failed forward (a vanished client raises :class:`Gone`)."""
        failure = body.failure if body is not None else None
        if isinstance(failure, BodyTooLarge):
            raise too_large(self.max_body_bytes) from None
        if isinstance(failure, ClientDisconnected):
            logger.info("client disconnected while sending its body to %s", service)
            raise Gone from None
        if isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)):
            self.upstream_errors[service, "unreachable"] += 1
            logger.warning("%s service unreachable: %r", service, exc)
            raise ServiceUnavailable(f"{service} service unavailable") from exc
        if isinstance(exc, aiohttp.ServerTimeoutError):
            self.upstream_errors[service, "timeout"] += 1
            logger.warning("%s service timed out: %r", service, exc)
            raise HTTPException(504, self._timed_out(service)) from exc
        self.upstream_errors[service, "failed"] += 1
        logger.warning("%s service failed: %r", service, exc)
        raise HTTPException(502, f"{service} service failed to answer") from exc

    def _timed_out(self, service: str) -> str:
        if self.timeout_seconds is None:
            return f"{service} service timed out"
        return f"{service} service timed out after {self.timeout_seconds:g} s"

    async def _stream_back(
        self, service: str, response: aiohttp.ClientResponse, send: Send, origin: str
    ) -> None:
        finished = False
        try:
            headers = [
                (name.lower(), value)
                for name, value in response.raw_headers
                if name.lower() not in DROPPED_RESPONSE_HEADERS
            ]
            if response.status in REDIRECTS or LOCATION in response.headers:
                headers = [
                    (name, self.public_location(value, origin) if name == b"location" else value)
                    for name, value in headers
                ]
            await send(
                {"type": "http.response.start", "status": response.status, "headers": headers}
            )
            # Each chunk goes out as it arrives. With a Content-Length, the chunk that completes
            # it is sent as the last one, so a small answer is a single write.
            remaining = response.content_length
            async for chunk in response.content.iter_any():
                if remaining is not None:
                    remaining -= len(chunk)
                    finished = remaining <= 0
                await send({"type": "http.response.body", "body": chunk, "more_body": not finished})
            if not finished:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                finished = True
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Too late for a status: returning unfinished makes the server drop the connection,
            # so the client sees a truncated answer, never a silently shortened one.
            self.upstream_errors[service, "truncated"] += 1
            logger.warning("%s service failed mid-response: %r", service, exc)
        finally:
            if finished:
                response.release()  # back to the pool
            else:
                response.close()  # a half-read connection is never reused


class ProxyRoute(BaseRoute):
    """The route table as a Starlette route: matches what the table routes, nothing else."""

    def __init__(self, table: RouteTable, proxy: Proxy) -> None:
        self.table = table
        self.proxy = proxy

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http":
            route = self.table.resolve_route(scope["path"])
            if route is not None:
                return Match.FULL, {SERVICE_KEY: route.service, ROUTE_KEY: route.pattern}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.proxy(scope, receive, send)
