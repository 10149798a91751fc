"""JSON errors: every error a client sees is ``{"detail": ...}``, never an HTML page."""

import json
import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from inkwell_runtime.redaction import redact_errors

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule said no: answered as ``status`` with ``{"detail": detail}`` by the one handler
    every app installs, so routes raise domain errors and never map them to HTTPException.

    A service's errors subclass it and set ``status`` (and ``detail`` when it is always the
    same); ``DomainError(404, "User not found")`` works too. ``reason`` is for the logs only
    (a 5xx is logged with it), never sent to the client.
    """

    status: int = 400
    detail: str = "Bad request"
    headers: Mapping[str, str] | None = None

    def __init__(
        self,
        status: int | None = None,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        reason: str | None = None,
    ) -> None:
        if status is not None:
            self.status = status
        if detail is not None:
            self.detail = detail
        if headers is not None:
            self.headers = headers
        self.reason = reason or self.detail
        super().__init__(self.reason)


class ServiceUnavailable(DomainError):
    """A dependency this request needs is down; answered as 503 with a clear detail."""

    status = 503
    headers = {"Retry-After": "5"}

    def __init__(self, detail: str, *, reason: str | None = None) -> None:
        super().__init__(detail=detail, reason=reason)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    if exc.status >= 500:
        logger.warning("%s %s answered %d: %s", request.method, request.url.path, exc.status, exc)
    elif exc.reason != exc.detail:
        logger.info("%s %s answered %d: %s", request.method, request.url.path, exc.status, exc)
    headers = dict(exc.headers) if exc.headers else None
    return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=headers)


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    # The server closes this connection after the answer (the exception reaches it); saying so
    # keeps a proxy from sending someone else's request on a connection about to go away.
    return JSONResponse(
        {"detail": "Internal server error"}, status_code=500, headers={"Connection": "close"}
    )


class _AsciiJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, allow_nan=False, separators=(",", ":")).encode()


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 body, ASCII-escaped: the inputs it echoes may hold a lone surrogate (sent
    as the JSON escape ``\\ud800``) that UTF-8 cannot encode, which made the 422 a 500.
    Secret fields (passwords, tokens) are redacted wherever the errors echo them."""
    assert isinstance(exc, RequestValidationError)
    errors = redact_errors(exc.errors())
    return _AsciiJSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


async def _http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own answer, except a body that is not UTF-8: 422 like any other bad JSON.

    FastAPI answers JSON that does not parse with 422 (documented on every operation with a
    body) but bytes that do not decode with an undocumented 400; schemathesis found it.
    """
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        error = {
            "type": "json_invalid",
            "loc": ("body",),
            "msg": "Body is not UTF-8 JSON",
            "input": None,
        }
        return await _validation_error(request, RequestValidationError([error]))
    if exc.status_code == 405:
        exc.headers = {**(exc.headers or {}), "Allow": allowed_methods(request)}
    return await http_exception_handler(request, exc)


def allowed_methods(request: Request) -> str:
    """Every method some route of the app takes on this path.

    Starlette's 405 names only the methods of the first route matching the path (``GET`` for
    ``/api/posts``, which takes ``POST`` too); ``Allow`` must list them all (RFC 9110)."""
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    )


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


UNAUTHORIZED: dict[int, str] = {401: "Missing or invalid token"}
"""The 401 every operation behind a token documents: ``error_responses({**UNAUTHORIZED, ...})``."""
FORBIDDEN: dict[int, str] = {403: "Not enough permissions"}
"""The 403 of an operation behind ``require_role(...)``."""


def error_responses(errors: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` documenting error statuses with the shared error body."""
    from contracts.errors import ErrorBody

    return {status: {"model": ErrorBody, "description": text} for status, text in errors.items()}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled)
