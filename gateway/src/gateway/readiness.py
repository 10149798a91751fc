"""The gateway's ``/readyz``: every service's own ``/readyz``, asked concurrently.

A service answering 200 with ``"status": "degraded"`` (weather while its provider fails) is
``degraded`` here, with its details: the system still answers, so the gateway stays ready (200)
and says ``degraded``."""

import asyncio
import logging
from collections.abc import Mapping
from typing import Annotated, Literal

import aiohttp
from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from inkwell_runtime.drain import is_draining
from inkwell_runtime.state import state_dependency

logger = logging.getLogger(__name__)

State = Literal["up", "degraded", "down"]
HttpSession = Annotated[aiohttp.ClientSession, Depends(state_dependency("http_session"))]
"""The gateway's one pooled session to the services (``app.state.http_session``)."""


class GatewayReadiness(BaseModel):
    status: Literal["ready", "degraded", "not ready"]
    services: dict[str, State]
    details: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="A degraded service's own details, by service."
    )


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
        details: dict[str, dict[str, str]] = {}

        async def probe(name: str, url: str) -> tuple[str, State]:
            try:
                async with (
                    asyncio.timeout(timeout),
                    session.get(f"{url}/readyz", headers=headers) as response,
                ):
                    status = response.status
                    content = await response.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                logger.warning("readiness: %s service unreachable: %r", name, exc)
                return name, "down"
            if status != 200:
                logger.warning("readiness: %s service answered %s", name, status)
                return name, "down"
            try:
                answer = _ServiceReadiness.model_validate_json(content)
            except ValidationError:
                return name, "up"  # ready by its status; its body is not ours to judge
            if answer.status == "degraded":
                details[name] = answer.details
                return name, "degraded"
            return name, "up"

        results = dict(await asyncio.gather(*(probe(n, u) for n, u in services.items())))
        states = set(results.values())
        overall = (
            "not ready" if "down" in states else "degraded" if "degraded" in states else "ready"
        )
        body = GatewayReadiness(status=overall, services=results, details=details)
        return JSONResponse(body.model_dump(), status_code=503 if overall == "not ready" else 200)

    return router
