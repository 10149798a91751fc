"""Failed logins per account: after ``LOGIN_FAILURE_LIMIT`` (10 per 15 minutes) the account
answers 429 with ``Retry-After``, even to the right password, whichever client is asking.

The gateway's per-client limit stops one client guessing fast; this stops many clients (or one
rotating its address) guessing one account. The key is the login as typed, NFKC-normalised and
case-folded, so an unknown username is throttled exactly like a known one (no enumeration).
Counts live in Redis when ``RATE_LIMIT_STORAGE_URL`` is set (one count for every auth
replica; the moving windows of ``inkwell_runtime.windows``), else in this process's memory.
"""

from auth_service.identity import fold
from inkwell_runtime.windows import MovingWindows

NAMESPACE = "login-failures"


class LoginThrottle:
    def __init__(self, limit: str, storage_url: str | None = None) -> None:
        self.windows = MovingWindows(limit, NAMESPACE, storage_url, key_prefix="inkwell-auth")

    async def retry_after(self, login: str) -> int | None:
        """Whole seconds until ``login`` may try again; None when it may now."""
        return await self.windows.retry_after(fold(login))

    async def failed(self, login: str) -> None:
        await self.windows.count(fold(login))

    async def aclose(self) -> None:
        await self.windows.aclose()
