"""JSON errors: every error a client sees is ``{"detail": ...}``, never an HTML page."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

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


def error_responses(errors: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` documenting error statuses with the shared error body."""
    from contracts.errors import ErrorBody

    return {status: {"model": ErrorBody, "description": text} for status, text in errors.items()}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceUnavailable, _service_unavailable)
    app.add_exception_handler(Exception, _unhandled)
