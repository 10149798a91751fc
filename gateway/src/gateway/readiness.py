"""The gateway's ``/readyz``: every service's own ``/readyz``, asked concurrently
(``inkwell_runtime.health.check_all``, as a service runs its own checks).

A service answering 200 with ``"status": "degraded"`` (weather while its provider fails) is
``degraded`` here, with its details: the system still answers, so the gateway stays ready (200)
and says ``degraded``."""

from collections.abc import Mapping
from functools import partial
from typing import Annotated

import aiohttp
from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from inkwell_runtime.drain import is_draining
from inkwell_runtime.health import CheckState, Degraded, ReadyState, check_all
from inkwell_runtime.state import state_dependency

HttpSession = Annotated[aiohttp.ClientSession, Depends(state_dependency("http_session"))]
"""The gateway's one pooled session to the services (``app.state.http_session``)."""


class GatewayReadiness(BaseModel):
    status: ReadyState
    services: dict[str, CheckState]
    details: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="A degraded service's own details, by service."
    )


class NotReady(Exception):
    """A service answered its ``/readyz`` with something other than 200."""


class _ServiceReadiness(BaseModel):
    """What the gateway reads of a service's ``/readyz`` body (the rest is ignored)."""

    status: str
    details: dict[str, str] = {}


def readiness_router(services: Mapping[str, str], timeout: float) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get(
        "/readyz",
        response_model=GatewayReadiness,
        responses={503: {"model": GatewayReadiness, "description": "A service is down"}},
    )
    async def readyz(request: Request, session: HttpSession) -> JSONResponse:
        """Every service answers its own ``/readyz`` with 200 within the readiness timeout.
        From SIGTERM on: 503 at once, nothing asked (``inkwell_runtime.drain``)."""
        if is_draining(request.app):
            draining = GatewayReadiness(
                status="not ready", services={}, details={"gateway": {"shutdown": "draining"}}
            )
            return JSONResponse(draining.model_dump(), status_code=503)
        headers = {"X-Request-ID": correlation_id.get() or ""}

        async def probe(url: str) -> None:
            async with session.get(f"{url}/readyz", headers=headers) as response:
                status = response.status
                content = await response.read()
            if status != 200:
                raise NotReady(f"{url}/readyz answered {status}")
            try:
                answer = _ServiceReadiness.model_validate_json(content)
            except ValidationError:
                return  # ready by its status; its body is not ours to judge
            if answer.status == "degraded":
                raise Degraded(answer.details)

        found = await check_all({n: partial(probe, u) for n, u in services.items()}, timeout)
        body = GatewayReadiness(status=found.status, services=found.checks, details=found.details)
        return JSONResponse(body.model_dump(), status_code=found.status_code)

    return router
