"""The login rate limit: a moving window per client, in memory (the ``limits`` library).

In memory means per gateway process: with several replicas, each allows the limit. The
window's clock is ``time.time()`` (the library's), which tests move with ``time-machine``.
"""

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

LOGIN = "login"


class LoginRateLimiter:
    def __init__(self, limit: str) -> None:
        self.item: RateLimitItem = parse(limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    async def hit(self, client: str) -> int | None:
        """Count one attempt: ``None`` when allowed, else whole seconds after which one is.

        The window still holds an attempt made exactly ``expiry`` seconds ago, hence the +1.
        """
        if await self._limiter.hit(self.item, LOGIN, client):
            return None
        stats = await self._limiter.get_window_stats(self.item, LOGIN, client)
        return math.floor(stats.reset_time - time.time()) + 1
