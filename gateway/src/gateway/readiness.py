"""The gateway's ``/readyz``: every service's own ``/readyz``, asked concurrently."""

import asyncio
import logging
from collections.abc import Mapping
from typing import Literal

import httpx
from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

logger = logging.getLogger(__name__)

State = Literal["up", "down"]


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
    async def readyz(request: Request) -> JSONResponse:
        """Every service answers its own ``/readyz`` with 200 within the readiness timeout."""
        client: httpx.AsyncClient = request.app.state.http_client
        headers = {"X-Request-ID": correlation_id.get() or ""}

        async def probe(name: str, url: str) -> tuple[str, State]:
            try:
                async with asyncio.timeout(timeout):
                    response = await client.get(f"{url}/readyz", headers=headers, timeout=timeout)
            except (httpx.HTTPError, TimeoutError) as exc:
                logger.warning("readiness: %s service unreachable: %r", name, exc)
                return name, "down"
            if response.status_code != 200:
                logger.warning("readiness: %s service answered %s", name, response.status_code)
                return name, "down"
            return name, "up"

        results = dict(await asyncio.gather(*(probe(n, u) for n, u in services.items())))
        ready = all(state == "up" for state in results.values())
        body = GatewayReadiness(status="ready" if ready else "not ready", services=results)
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    return router
