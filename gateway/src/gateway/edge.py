"""Limits at the edge that uvicorn itself does not enforce, as its HTTP protocol's subclass.

uvicorn's httptools protocol (the fast one, the gateway's default) has no bound on a request
head's size (a 50 MB header was read and forwarded) and no timeout while a head or a body
arrives (a client sending a byte every two seconds held its connection for minutes). These
live in the connection's protocol because only there are the bytes seen before any ASGI code:

- ``GATEWAY_MAX_HEADER_BYTES``: a request line plus headers past it → 431, connection closed.
- ``GATEWAY_HEADER_TIMEOUT_SECONDS``: from a connection's opening (or a next request's first
  byte) to the end of its head → 408, closed.
- ``GATEWAY_BODY_TIMEOUT_SECONDS``: from the end of the head to the end of the body → 408
  (or, when the answer has begun, the connection is closed).
- ``GATEWAY_KEEPALIVE_SECONDS``: an idle kept-alive connection is closed after it (uvicorn's
  ``--timeout-keep-alive``, set from here so that one place holds every edge limit).

Run the gateway with it: ``UVICORN_HTTP=gateway.edge:EdgeProtocol`` (or ``--http
gateway.edge:EdgeProtocol``); compose and ``make dev`` do.
"""

import asyncio
import json
from functools import cache
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gateway.core.config import GatewaySettings

PROTOCOL = "gateway.edge:EdgeProtocol"
"""What ``UVICORN_HTTP`` names to run the gateway with these limits."""


@cache
def edge_settings() -> GatewaySettings:
    """The settings the protocol reads (once per process, from the environment)."""
    return GatewaySettings()


def refusal(status: HTTPStatus, detail: str) -> bytes:
    """A complete HTTP/1.1 answer that closes the connection, with the usual JSON body."""
    body = json.dumps({"detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status.value} {status.phrase}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


class HeadRefused(Exception):
    """Stops the parser on a head refused with 431."""


class EdgeProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the gateway's header and body limits."""

    settings: GatewaySettings | None = None
    """Tests set it on a subclass; otherwise :func:`edge_settings`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = self.settings or edge_settings()
        self.max_header_bytes = settings.gateway_max_header_bytes
        self.header_timeout = settings.gateway_header_timeout_seconds
        self.body_timeout = settings.gateway_body_timeout_seconds
        # uvicorn annotates it int; it only ever goes to loop.call_later, which takes a float
        self.timeout_keep_alive = settings.gateway_keepalive_seconds  # type: ignore[assignment]
        self.head_size = 0
        """Bytes of the request line and headers the parser has handed over."""
        self.head_bytes: int | None = 0
        """Bytes of the request head read so far; None while no head is being read."""
        self.deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if self.head_bytes is not None:
            if self.head_bytes == 0 and self.deadline is None:
                self._arm(self.header_timeout, self._head_timed_out)
            self.head_bytes += len(data)
        super().data_received(data)
        if self.head_bytes is not None and self.head_bytes > self.max_header_bytes:
            self._head_too_large()

    def send_400_response(self, msg: str) -> None:
        if not self.transport.is_closing():  # not after a refusal of ours (see below)
            super().send_400_response(msg)

    def on_message_begin(self) -> None:
        self.head_size = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self.head_size += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_size += len(name) + len(value) + 4
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.head_bytes = None
        if self.head_size > self.max_header_bytes:
            # A whole head in one read: refused before any ASGI code runs. Raising stops the
            # parser (uvicorn's 400 for a parser error is then skipped: the transport closes).
            self._head_too_large()
            raise HeadRefused
        self._arm(self.body_timeout, self._body_timed_out)
        super().on_headers_complete()

    def _head_too_large(self) -> None:
        self._refuse(
            HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
            f"Request line and headers too large: the limit is {self.max_header_bytes} bytes",
        )

    def on_message_complete(self) -> None:
        self.head_bytes = 0
        self._disarm()
        super().on_message_complete()

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self.deadline = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _head_timed_out(self) -> None:
        self.deadline = None
        self._refuse(
            HTTPStatus.REQUEST_TIMEOUT,
            f"Request headers not received within {self.header_timeout:g} seconds",
        )

    def _body_timed_out(self) -> None:
        self.deadline = None
        self._refuse(
            HTTPStatus.REQUEST_TIMEOUT,
            f"Request body not received within {self.body_timeout:g} seconds",
            body=True,
        )

    def _refuse(self, status: HTTPStatus, detail: str, *, body: bool = False) -> None:
        """Answer ``status`` unless that would mix with an answer, then close the connection.

        A head being read follows any earlier answer, so ``status`` goes out unless one is
        still being written; a body belongs to the current request, whose answer may have
        been sent already (the app answered without reading it): then the connection is only
        closed."""
        if self.transport.is_closing():
            return
        cycle = self.cycle
        answering = cycle is not None and cycle.response_started and not cycle.response_complete
        if body and cycle is not None and cycle.response_started:
            answering = True
        if cycle is not None and not cycle.response_complete:
            # The app sees a disconnect: its receive() returns, its send() writes nothing.
            cycle.disconnected = True
            cycle.message_event.set()
        if not answering:
            self.logger.info("edge limit: %s %s", status.value, detail)
            self.transport.write(refusal(status, detail))
        self.transport.close()
