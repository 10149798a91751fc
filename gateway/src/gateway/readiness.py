"""The gateway's ``/readyz``: every service's own ``/readyz``, asked concurrently."""

import asyncio
import logging
from collections.abc import Mapping
from typing import Annotated, Literal

import aiohttp
from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from inkwell_runtime.state import state_dependency

logger = logging.getLogger(__name__)

State = Literal["up", "down"]
HttpSession = Annotated[aiohttp.ClientSession, Depends(state_dependency("http_session"))]
"""The gateway's one pooled session to the services (``app.state.http_session``)."""


class GatewayReadiness(BaseModel):
    status: Literal["ready", "not ready"]
    services: dict[str, State]


def readiness_router(services: Mapping[str, str], timeout: float) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get(
        "/readyz",
        response_model=GatewayReadiness,
        responses={503: {"model": GatewayReadiness, "description": "A service is down"}},
    )
    async def readyz(session: HttpSession) -> JSONResponse:
        """Every service answers its own ``/readyz`` with 200 within the readiness timeout."""
        headers = {"X-Request-ID": correlation_id.get() or ""}

        async def probe(name: str, url: str) -> tuple[str, State]:
            try:
                async with (
                    asyncio.timeout(timeout),
                    session.get(f"{url}/readyz", headers=headers) as response,
                ):
                    status = response.status
                    await response.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                logger.warning("readiness: %s service unreachable: %r", name, exc)
                return name, "down"
            if status != 200:
                logger.warning("readiness: %s service answered %s", name, status)
                return name, "down"
            return name, "up"

        results = dict(await asyncio.gather(*(probe(n, u) for n, u in services.items())))
        ready = all(state == "up" for state in results.values())
        body = GatewayReadiness(status="ready" if ready else "not ready", services=results)
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    return router
