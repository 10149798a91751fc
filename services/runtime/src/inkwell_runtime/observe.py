"""What every app reports about each request: Prometheus figures, one structured log line, and
(when tracing is on) a server span. :func:`observe` installs all three on an app.

The log line (logger ``inkwell.access``) carries fields a log search can filter on: ``method``,
``route`` (the template, ``/api/posts/{post_id}``), ``path``, ``status``, ``duration_ms``,
``client``, ``forwarded_for``, ``user_id`` (the token's subject once a route verified it; never
the token) and, through the logging filter, ``trace_id``/``span_id``/``request_id``.
"""

import logging
import time
from collections.abc import Collection
from typing import Any

from fastapi import FastAPI
from starlette.routing import Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inkwell_runtime.metrics import METRICS_PATH, RequestMetrics, install_metrics
from inkwell_runtime.telemetry import current_span, instrument_app

access_logger = logging.getLogger("inkwell.access")

ROUTE_KEY = "inkwell.route"
"""Scope key for a route template an app matched on its own (the gateway's route table)."""
USER_ID_KEY = "inkwell.user_id"
"""Scope key the auth dependency puts the verified caller's id under."""
UNMATCHED = "unmatched"
"""The route label of a request no route matched (one label, whatever the path)."""
PROBES = frozenset({"/healthz", "/readyz"})


def route_template(scope: Scope, fixed_paths: Collection[str] = ()) -> str:
    """The matched route's template; a plain route (``/openapi.json``) has its path as one."""
    template = scope.get(ROUTE_KEY)
    if template is None:
        template = getattr(scope.get("route"), "path", None)
    if template is None and scope["path"] in fixed_paths:
        template = scope["path"]
    return template or UNMATCHED


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestObserver:
    """Pure ASGI middleware: counts, times and logs each HTTP request (not the scrapes)."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics, router: Router) -> None:
        self.app = app
        self.metrics = metrics
        self.router = router
        self._fixed_paths: frozenset[str] | None = None

    @property
    def fixed_paths(self) -> frozenset[str]:
        """Paths of the app's routes without parameters (read once the app is complete)."""
        if self._fixed_paths is None:
            paths = (getattr(route, "path", "{") for route in self.router.routes)
            self._fixed_paths = frozenset(path for path in paths if "{" not in path)
        return self._fixed_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == METRICS_PATH:
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets when the app raises before answering
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                user_id = scope.get(USER_ID_KEY)
                if user_id is not None and (span := current_span()) is not None:
                    span.set_attribute("enduser.id", user_id)  # while the span is open
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_status)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.in_flight.dec()
            route = route_template(scope, self.fixed_paths)
            self.metrics.observe(scope["method"], route, status, seconds)
            self._log(scope, route, status, seconds)

    def _log(self, scope: Scope, route: str, status: int, seconds: float) -> None:
        level = logging.DEBUG if scope["path"] in PROBES else logging.INFO
        if not access_logger.isEnabledFor(level):
            return
        user_id = scope.get(USER_ID_KEY)
        client = scope.get("client")
        duration_ms = round(seconds * 1000, 1)
        fields: dict[str, Any] = {
            "method": scope["method"],
            "route": route,
            "path": scope["path"],
            "status": status,
            "duration_ms": duration_ms,
            "client": client[0] if client else None,
            "forwarded_for": _header(scope, b"x-forwarded-for"),
            "user_id": user_id,
        }
        access_logger.log(
            level, "%s %s %s %.1f ms", scope["method"], route, status, duration_ms, extra=fields
        )


def observe(app: FastAPI, service: str) -> None:
    """Metrics, access log and tracing for ``app`` (call before the request-id middleware is
    added, so the access line carries the request id)."""
    app.add_middleware(RequestObserver, metrics=install_metrics(app), router=app.router)
    instrument_app(app, service)
