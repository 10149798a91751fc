"""Graceful drain: what a process does between SIGTERM and exiting (every service and the gateway).

1. SIGTERM: the app is *draining* at once. ``/readyz`` answers 503 (a load balancer, Kubernetes'
   endpoints, a compose health check take it out of rotation) and every response says
   ``Connection: close``, so clients (the gateway's pool) drop their kept-alive connections to
   this process instead of reusing them after it has gone (the gateway's balancer also skips
   an address that says so: ``gateway/balancing.py``). The listener stays open and requests are
   served as usual.
2. After ``SHUTDOWN_DRAIN_SECONDS``: uvicorn's graceful shutdown: the listener closes, in-flight
   requests finish (for up to ``SHUTDOWN_TIMEOUT_SECONDS``), the lifespan ends, the process exits.

A second SIGTERM during the drain, or SIGINT (Ctrl-C), skips what is left of it. Kubernetes'
``terminationGracePeriodSeconds`` and compose's ``stop_grace_period`` must exceed the drain plus
the shutdown timeout (deploy/k8s, docker-compose.yml).
"""

import logging
import signal
import time
from types import FrameType

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)


def is_draining(app: object) -> bool:
    """Whether ``app`` (a Starlette/FastAPI app) has been told to drain."""
    state = getattr(app, "state", None)
    return bool(getattr(state, "draining", False))


def begin(app: object) -> None:
    """Mark ``app`` as draining: ``/readyz`` 503, ``Connection: close`` on every response."""
    app.state.draining = True  # type: ignore[attr-defined]


class CloseWhileDraining:
    """ASGI middleware: while the app drains, every HTTP response says ``Connection: close``."""

    def __init__(self, app: ASGIApp, *, owner: object) -> None:
        self.app = app
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_draining(self.owner):
            await self.app(scope, receive, send)
            return

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, send_closing)


class DrainingServer(uvicorn.Server):
    """uvicorn's server, with :func:`begin` on SIGTERM and the listener closed only after
    ``drain_seconds`` (then uvicorn's own graceful shutdown)."""

    def __init__(self, config: uvicorn.Config, *, app: object, drain_seconds: float) -> None:
        super().__init__(config)
        self.app = app
        self.drain_seconds = drain_seconds
        self._close_at: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        begin(self.app)
        if sig == signal.SIGTERM and self.drain_seconds > 0 and self._close_at is None:
            logger.info("SIGTERM: draining for %ss (/readyz 503), then closing", self.drain_seconds)
            self._close_at = time.monotonic() + self.drain_seconds
            return
        self._close_at = None
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        # (uvicorn's main loop ticks every 0.1 s)
        if self._close_at is not None and time.monotonic() >= self._close_at:
            self._close_at = None
            super().handle_exit(signal.SIGTERM, None)
        return await super().on_tick(counter)
