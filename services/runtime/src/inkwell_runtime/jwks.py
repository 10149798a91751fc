"""The remote key source: auth's JWKS, fetched over HTTP, cached, refreshed on an unknown kid."""

import asyncio
import logging
from typing import Any

import httpx

from inkwell_runtime import clock

logger = logging.getLogger(__name__)


class RemoteJWKS:
    """Fetches ``{"keys": [...]}`` from auth.

    Keys are cached for ``cache_seconds``. A token with an unknown ``kid`` triggers one
    refresh (auth may have rotated its key), but at most once per ``min_refresh_seconds``
    so a flood of forged kids cannot turn into a flood of requests to auth.
    """

    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient,
        *,
        cache_seconds: float = 300.0,
        min_refresh_seconds: float = 5.0,
    ) -> None:
        self.url = url
        self._client = client
        self._cache_seconds = cache_seconds
        self._min_refresh = min_refresh_seconds
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def get_key(self, kid: str) -> dict[str, Any] | None:
        now = clock.seconds()
        stale = self._fetched_at is None or now - self._fetched_at >= self._cache_seconds
        unknown = kid not in self._keys
        may_refresh = self._fetched_at is None or now - self._fetched_at >= self._min_refresh
        if stale or (unknown and may_refresh):
            await self.refresh()
        return self._keys.get(kid)

    async def refresh(self) -> None:
        async with self._lock:
            response = await self._client.get(self.url)
            response.raise_for_status()
            self._keys = {k["kid"]: k for k in response.json().get("keys", []) if "kid" in k}
            self._fetched_at = clock.seconds()
            logger.info("fetched %d signing key(s) from %s", len(self._keys), self.url)
