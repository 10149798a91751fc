"""JSON errors: every error a client sees is ``{"detail": ...}``, never an HTML page."""

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from inkwell_runtime.redaction import redact_errors

logger = logging.getLogger(__name__)


class ServiceUnavailable(Exception):
    """A dependency this request needs is down; answered as 503 with a clear detail."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


async def _service_unavailable(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceUnavailable)
    logger.warning("dependency unavailable: %s", exc.detail)
    return JSONResponse({"detail": exc.detail}, status_code=503, headers={"Retry-After": "5"})


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "Internal server error"}, status_code=500)


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
    return await http_exception_handler(request, exc)


def error_responses(errors: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` documenting error statuses with the shared error body."""
    from contracts.errors import ErrorBody

    return {status: {"model": ErrorBody, "description": text} for status, text in errors.items()}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceUnavailable, _service_unavailable)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled)
