"""Where reports are cached: this process's memory, or Redis shared by every replica.

One replica's fetch serves every replica when ``WEATHER_CACHE_URL`` names a Redis (compose's,
the one the gateways count logins in): with two weather replicas, a city asked twice is fetched
once, whichever replica answers. Unset, each process keeps its own :class:`MemoryCache`.

The shared cache is a convenience, never a dependency: when Redis fails, a lookup is a miss and
a store is skipped (logged), so the service answers from the provider as if nothing were cached.
"""

import json
import logging
from collections.abc import Callable
from typing import Protocol

from cachetools import TTLCache
from redis.asyncio import Redis
from redis.exceptions import RedisError

from inkwell_runtime import clock

logger = logging.getLogger(__name__)

KEY_PREFIX = "inkwell:weather:"


class ReportCache[T](Protocol):
    async def get(self, key: str) -> T | None: ...

    async def set(self, key: str, value: T) -> None: ...

    async def aclose(self) -> None: ...


class MemoryCache[T]:
    """This process's cache: ``max_entries`` at most, each for ``ttl`` seconds."""

    def __init__(self, max_entries: int, ttl: float) -> None:
        self.entries: TTLCache[str, T] = TTLCache(maxsize=max_entries, ttl=ttl, timer=clock.seconds)

    async def get(self, key: str) -> T | None:
        return self.entries.get(key)

    async def set(self, key: str, value: T) -> None:
        self.entries[key] = value

    async def aclose(self) -> None:
        return None


class RedisCache[T]:
    """Entries in Redis for ``ttl`` seconds (Redis expires them), as JSON: ``dump`` makes a
    JSON-ready dict of a value and ``load`` the value back."""

    def __init__(
        self,
        url: str,
        ttl: float,
        *,
        dump: Callable[[T], dict[str, object]],
        load: Callable[[dict[str, object]], T],
        timeout: float = 0.5,
    ) -> None:
        self.redis = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.ttl_ms = int(ttl * 1000)
        self._dump = dump
        self._load = load

    async def get(self, key: str) -> T | None:
        try:
            raw = await self.redis.get(KEY_PREFIX + key)
        except RedisError as exc:
            logger.warning("weather cache unreachable, treated as a miss: %r", exc)
            return None
        if raw is None:
            return None
        try:
            return self._load(json.loads(raw))
        except (ValueError, TypeError, KeyError) as exc:  # written by another version: a miss
            logger.warning("unreadable weather cache entry %s: %r", key, exc)
            return None

    async def set(self, key: str, value: T) -> None:
        if self.ttl_ms <= 0:  # WEATHER_CACHE_SECONDS=0: caching off
            return
        try:
            await self.redis.set(KEY_PREFIX + key, json.dumps(self._dump(value)), px=self.ttl_ms)
        except RedisError as exc:
            logger.warning("weather cache unreachable, report not stored: %r", exc)

    async def aclose(self) -> None:
        await self.redis.aclose()
