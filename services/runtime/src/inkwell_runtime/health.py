"""Liveness (``/healthz``) and readiness (``/readyz``) endpoints shared by every service."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

logger = logging.getLogger(__name__)

ReadinessCheck = Callable[[Request], Awaitable[object]]
"""Checks one dependency; raising (or timing out) means it is not ready."""


class Liveness(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


def liveness_router() -> APIRouter:
    """``/healthz`` alone: the same liveness answer for every app, the gateway included."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", response_model=Liveness)
    async def healthz() -> Liveness:
        """The process is up and serving requests."""
        return Liveness(status="ok")

    return router


def readiness_router(checks: Mapping[str, ReadinessCheck], timeout: float) -> APIRouter:
    """``/readyz`` over ``checks``, each given ``timeout`` seconds (the gateway has its own)."""
    router = APIRouter(tags=["health"])

    @router.get(
        "/readyz",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "A dependency is down"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        """Every dependency this service needs answers, checked concurrently."""

        async def run(name: str, check: ReadinessCheck) -> tuple[str, str]:
            try:
                await asyncio.wait_for(check(request), timeout)
            except Exception as exc:
                logger.warning("readiness check %s failed: %r", name, exc)
                return name, "down"
            return name, "up"

        results = dict(await asyncio.gather(*(run(n, c) for n, c in checks.items())))
        ready = all(state == "up" for state in results.values())
        body = Readiness(status="ready" if ready else "not ready", checks=results)
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    return router
