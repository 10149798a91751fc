"""Time, in one place: every timestamp and every duration is read here.

Both read the wall clock, so tests control time one way: time-machine
(``with time_machine.travel(moment, tick=False) as traveller: ... traveller.shift(seconds)``),
never an injected fake clock.
"""

import time
from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (stored timestamps, ``fetched_at``, ...)."""
    return datetime.now(UTC)


def seconds() -> float:
    """Seconds for measuring durations (a cache's TTL, a circuit breaker's reset)."""
    return time.time()
