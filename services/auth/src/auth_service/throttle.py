"""Failed logins per account: after ``LOGIN_FAILURE_LIMIT`` (10 per 15 minutes) the account
answers 429 with ``Retry-After``, even to the right password, whichever client is asking.

The gateway's per-client limit stops one client guessing fast; this stops many clients (or one
rotating its address) guessing one account. The key is the login as typed, NFKC-normalised and
case-folded, so an unknown username is throttled exactly like a known one (no enumeration).
Counts live in memory (the ``limits`` library's moving window), per auth process.
"""

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from auth_service.identity import fold

NAMESPACE = "login-failures"


class LoginThrottle:
    def __init__(self, limit: str) -> None:
        self.item: RateLimitItem = parse(limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    async def retry_after(self, login: str) -> int | None:
        """Whole seconds until ``login`` may try again; None when it may now."""
        key = fold(login)
        if await self._limiter.test(self.item, NAMESPACE, key):
            return None
        stats = await self._limiter.get_window_stats(self.item, NAMESPACE, key)
        return max(1, math.floor(stats.reset_time - time.time()) + 1)

    async def failed(self, login: str) -> None:
        await self._limiter.hit(self.item, NAMESPACE, fold(login))
