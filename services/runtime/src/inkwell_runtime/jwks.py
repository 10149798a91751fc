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

    Once fetched, keys outlive an outage of auth: a refresh that fails (auth down or
    unreachable) keeps the keys already known, so tokens keep verifying everywhere while
    auth is away (a key auth retired meanwhile stays trusted until auth answers again). Only a
    source that has never fetched its keys fails (:class:`httpx.HTTPError`: the caller's 503),
    which is why a service fetches them at start and is not ready until it has
    (:meth:`ensure_loaded`, ``inkwell_runtime.app``).
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
        self._tried_at: float | None = None
        self._lock = asyncio.Lock()

    @property
    def loaded(self) -> bool:
        """Whether keys have been fetched at least once."""
        return self._fetched_at is not None

    async def ensure_loaded(self) -> None:
        """Fetch the keys unless they have been fetched already (raises while auth cannot
        be reached and they never were)."""
        if not self.loaded:
            await self.refresh()

    async def get_key(self, kid: str) -> dict[str, Any] | None:
        if not self.loaded:
            await self.ensure_loaded()  # nothing to fall back on: a failure is the caller's 503
            return self._keys.get(kid)
        now = clock.seconds()
        assert self._fetched_at is not None and self._tried_at is not None
        stale = now - self._fetched_at >= self._cache_seconds
        may_refresh = now - self._tried_at >= self._min_refresh
        if may_refresh and (stale or kid not in self._keys):
            try:
                await self.refresh()
            except httpx.HTTPError as exc:
                logger.warning(
                    "could not refresh the signing keys from %s (%r); the %d known keep serving",
                    self.url,
                    exc,
                    len(self._keys),
                )
        return self._keys.get(kid)

    async def refresh(self) -> None:
        async with self._lock:
            self._tried_at = clock.seconds()
            response = await self._client.get(self.url)
            response.raise_for_status()
            self._keys = {k["kid"]: k for k in response.json().get("keys", []) if "kid" in k}
            self._fetched_at = clock.seconds()
            logger.info("fetched %d signing key(s) from %s", len(self._keys), self.url)
