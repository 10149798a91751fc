"""Time, in one place: the wall clock for timestamps, a monotonic clock for durations."""

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], float]
"""Seconds on a monotonic clock; the cache and the breaker take one so tests can move time."""

monotonic: Clock = time.monotonic


def utc_now() -> datetime:
    """The current time, timezone-aware (``fetched_at``)."""
    return datetime.now(UTC)
