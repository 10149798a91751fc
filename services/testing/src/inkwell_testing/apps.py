"""An app served to a test: its real lifespan run, an httpx client on it through ASGI."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI


@asynccontextmanager
async def served(app: FastAPI, base_url: str = "http://t") -> AsyncIterator[httpx.AsyncClient]:
    """``app`` with its lifespan started (pools opened, checks wired) behind an
    ``httpx.AsyncClient(transport=ASGITransport(app))``; both closed on exit."""
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url) as client,
    ):
        yield client
