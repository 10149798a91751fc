"""Liveness (``/healthz``) and readiness (``/readyz``) endpoints shared by every service."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from inkwell_runtime.drain import is_draining

logger = logging.getLogger(__name__)

ReadinessCheck = Callable[[Request], Awaitable[object]]
"""Checks one dependency; raising (or timing out) means it is not ready, raising
:class:`Degraded` that it fails but the service still answers (so it stays in rotation)."""


class Degraded(Exception):
    """A soft dependency is failing: ``/readyz`` says ``degraded`` with ``detail``, still 200
    (a service's detail is a sentence; the gateway's, a degraded service's own details)."""

    def __init__(self, detail: Any) -> None:
        super().__init__(detail)
        self.detail = detail


class Liveness(BaseModel):
    status: str


ReadyState = Literal["ready", "degraded", "not ready"]
CheckState = Literal["up", "degraded", "down"]


class Readiness(BaseModel):
    status: ReadyState
    checks: dict[str, CheckState]
    details: dict[str, str] = Field(
        default_factory=dict, description="Why a degraded check is degraded (no internals)."
    )


@dataclass(frozen=True)
class CheckResults:
    """What :func:`check_all` found: the overall state, each check's, and why each degraded
    one is degraded."""

    status: ReadyState
    checks: dict[str, CheckState]
    details: dict[str, Any]

    @property
    def status_code(self) -> int:
        """503 while a check is down (out of rotation); 200 when ready or degraded."""
        return 503 if self.status == "not ready" else 200


async def check_all(
    checks: Mapping[str, Callable[[], Awaitable[object]]], seconds: float
) -> CheckResults:
    """Run every check concurrently, each within ``seconds``: returning means ``up``,
    raising :class:`Degraded` ``degraded`` (its detail kept), raising anything else or timing
    out ``down`` (logged). Any down: ``not ready``; else any degraded: ``degraded``."""
    details: dict[str, Any] = {}

    async def run(name: str, check: Callable[[], Awaitable[object]]) -> tuple[str, CheckState]:
        try:
            async with asyncio.timeout(seconds):
                await check()
        except Degraded as exc:
            details[name] = exc.detail
            return name, "degraded"
        except Exception as exc:
            logger.warning("readiness check %s failed: %r", name, exc)
            return name, "down"
        return name, "up"

    results = dict(await asyncio.gather(*(run(n, c) for n, c in checks.items())))
    states = set(results.values())
    status: ReadyState = (
        "not ready" if "down" in states else "degraded" if "degraded" in states else "ready"
    )
    return CheckResults(status=status, checks=results, details=details)


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
        """Every dependency this service needs answers, checked concurrently; a soft one that
        fails makes the service ``degraded`` (200: it still answers). From SIGTERM on: 503
        with the ``shutdown`` check down, without asking anything (``inkwell_runtime.drain``)."""
        if is_draining(request.app):
            draining = Readiness(status="not ready", checks={"shutdown": "down"})
            return JSONResponse(draining.model_dump(), status_code=503)
        found = await check_all({n: partial(c, request) for n, c in checks.items()}, timeout)
        body = Readiness(status=found.status, checks=found.checks, details=found.details)
        return JSONResponse(body.model_dump(), status_code=found.status_code)

    return router
