"""The login rate limit: a moving window per client (``inkwell_runtime.windows``).

In memory by default, which means per gateway process: with several replicas, each allows the
limit. ``RATE_LIMIT_STORAGE_URL=redis://...`` keeps the windows in Redis instead, shared by every
gateway. If Redis cannot be reached, the gateway counts in its own memory for that attempt
(logged): a login is never refused because of the store, and each gateway still limits.
"""

from inkwell_runtime.windows import MovingWindows

LOGIN = "login"


class LoginRateLimiter(MovingWindows):
    """Each attempt counts (``hit``): past the limit, the answer is 429 until the window moves."""

    def __init__(self, limit: str, storage_url: str | None = None) -> None:
        super().__init__(limit, LOGIN, storage_url, key_prefix="inkwell-gateway")
