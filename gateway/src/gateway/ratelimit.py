"""The login rate limit: a moving window per client (the ``limits`` library).

In memory by default, which means per gateway process: with several replicas, each allows the
limit. ``RATE_LIMIT_STORAGE_URL=redis://...`` keeps the windows in Redis instead, shared by every
gateway. If Redis cannot be reached, the gateway counts in its own memory for that attempt
(logged): a login is never refused because of the store, and each gateway still limits.

The window's clock is ``time.time()`` (the library's), which tests move with ``time-machine``.
"""

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

LOGIN = "login"


def redis_storage(url: str) -> RedisStorage:
    """``redis://`` or ``rediss://`` as the ``limits`` async storage (redis-py's client)."""
    return RedisStorage(
        f"async+{url}",
        implementation="redispy",
        key_prefix="inkwell-gateway",
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
    )


class LoginRateLimiter:
    def __init__(self, limit: str, storage_url: str | None = None) -> None:
        self.item: RateLimitItem = parse(limit)
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared_storage = redis_storage(storage_url) if storage_url else None
        self._shared = (
            MovingWindowRateLimiter(self._shared_storage) if self._shared_storage else None
        )

    @property
    def shared(self) -> bool:
        return self._shared is not None

    async def hit(self, client: str) -> int | None:
        """Count one attempt: ``None`` when allowed, else whole seconds after which one is."""
        if self._shared is not None:
            try:
                return await self._hit(self._shared, client)
            except (RedisError, OSError) as exc:
                logger.warning("rate limit store unreachable, counting locally: %s", exc)
        return await self._hit(self._local, client)

    async def _hit(self, limiter: MovingWindowRateLimiter, client: str) -> int | None:
        # The window still holds an attempt made exactly ``expiry`` seconds ago, hence the +1.
        if await limiter.hit(self.item, LOGIN, client):
            return None
        stats = await limiter.get_window_stats(self.item, LOGIN, client)
        return math.floor(stats.reset_time - time.time()) + 1

    async def aclose(self) -> None:
        """Close the shared store's connections (the app's shutdown)."""
        if self._shared_storage is not None:
            client = getattr(self._shared_storage.bridge, "storage", None)  # redis-py's Redis
            if client is not None:
                await client.aclose()
