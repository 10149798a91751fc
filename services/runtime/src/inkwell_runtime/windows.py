"""Moving-window counters (the ``limits`` library), shared through Redis when configured.

In memory by default, which means per process: with several replicas, each allows the whole
limit. A ``redis://`` (or ``rediss://``) storage URL keeps the windows in Redis instead, shared
by every process that names it. If Redis cannot be reached, the count is taken in this process's
memory for that call (logged): nobody is refused because of the store, and each process still
limits. The gateway's per-client login limit and auth's per-account failed-login throttle are
both built on :class:`MovingWindows` (install ``inkwell-runtime[windows]``).

The window's clock is ``time.time()`` (the library's), which tests move with ``time-machine``.
"""

import logging
import math
import time
from collections.abc import Awaitable, Callable

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def redis_storage(url: str, key_prefix: str) -> RedisStorage:
    """``redis://`` or ``rediss://`` as the ``limits`` async storage (redis-py's client)."""
    return RedisStorage(
        f"async+{url}",
        implementation="redispy",
        key_prefix=key_prefix,
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
    )


class MovingWindows:
    """``limit`` (``limits`` notation, e.g. ``10/15minutes``) per key, in ``namespace``."""

    def __init__(
        self, limit: str, namespace: str, storage_url: str | None = None, *, key_prefix: str
    ) -> None:
        self.item: RateLimitItem = parse(limit)
        self.namespace = namespace
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._storage = redis_storage(storage_url, key_prefix) if storage_url else None
        self._shared = MovingWindowRateLimiter(self._storage) if self._storage else None

    @property
    def shared(self) -> bool:
        return self._shared is not None

    async def hit(self, key: str) -> int | None:
        """Count one: ``None`` when it was allowed, else whole seconds until one would be."""

        async def hit(limiter: MovingWindowRateLimiter) -> int | None:
            if await limiter.hit(self.item, self.namespace, key):
                return None
            return await self._wait(limiter, key)

        return await self._on_store(hit)

    async def retry_after(self, key: str) -> int | None:
        """Without counting: ``None`` when one more would be allowed, else whole seconds."""

        async def peek(limiter: MovingWindowRateLimiter) -> int | None:
            if await limiter.test(self.item, self.namespace, key):
                return None
            return await self._wait(limiter, key)

        return await self._on_store(peek)

    async def count(self, key: str) -> None:
        """Count one, allowed or not."""

        async def count(limiter: MovingWindowRateLimiter) -> None:
            await limiter.hit(self.item, self.namespace, key)

        await self._on_store(count)

    async def _wait(self, limiter: MovingWindowRateLimiter, key: str) -> int:
        # The window still holds an entry made exactly ``expiry`` seconds ago, hence the +1.
        stats = await limiter.get_window_stats(self.item, self.namespace, key)
        return max(1, math.floor(stats.reset_time - time.time()) + 1)

    async def _on_store[T](self, use: Callable[[MovingWindowRateLimiter], Awaitable[T]]) -> T:
        if self._shared is not None:
            try:
                return await use(self._shared)
            except (RedisError, OSError) as exc:
                logger.warning(
                    "%s: window store unreachable, counting locally: %s", self.namespace, exc
                )
        return await use(self._local)

    async def aclose(self) -> None:
        """Close the shared store's connections (the app's shutdown)."""
        if self._storage is not None:
            client = getattr(self._storage.bridge, "storage", None)  # redis-py's Redis
            if client is not None:
                await client.aclose()
