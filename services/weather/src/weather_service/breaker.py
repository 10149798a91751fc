"""A small circuit breaker for one upstream, on the runtime's clock (``inkwell_runtime.clock``).

Why not a library: the asyncio breakers on PyPI (purgatory, aiobreaker, circuitbreaker,
pybreaker) are larger than this, which is short enough to read in one sitting (see the README).
Tests move its time with time-machine, as every suite does.

States:
- closed: calls go through; ``failure_threshold`` consecutive failures open the circuit.
- open: calls fail fast with :class:`CircuitOpen` for ``reset_seconds``.
- half-open: once ``reset_seconds`` have passed, one trial call goes through (the others
  still fail fast); its success closes the circuit, its failure opens it again.

It is meant for one event loop: state changes happen between awaits, so no lock is needed.
"""

import math
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

from inkwell_runtime import clock
from inkwell_runtime.errors import DomainError


class BreakerState(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half-open"


class CircuitOpen(DomainError):
    """Raised instead of calling the upstream while the circuit is open: the provider's 502,
    with a ``Retry-After`` for when the breaker lets a trial call through."""

    status = 502
    detail = "Weather provider error"

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(
            detail=(
                "Weather provider failing repeatedly: calls paused; "
                f"retry in {self.retry_after_header} s"
            ),
            headers={"Retry-After": self.retry_after_header},
            reason=f"circuit open; retry in {retry_after:.1f}s",
        )

    @property
    def retry_after_header(self) -> str:
        """Whole seconds for an HTTP ``Retry-After`` header (at least 1)."""
        return str(max(1, math.ceil(self.retry_after)))


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        reset_seconds: float = 30.0,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.closed
        if clock.seconds() - self._opened_at < self.reset_seconds:
            return BreakerState.open
        return BreakerState.half_open

    @property
    def failures(self) -> int:
        """Consecutive failures counted since the last success."""
        return self._failures

    def before_call(self) -> None:
        """Let a call through, or raise :class:`CircuitOpen`."""
        state = self.state
        if state is BreakerState.closed:
            return
        if state is BreakerState.half_open and not self._probing:
            self._probing = True  # this caller is the trial call
            return
        raise CircuitOpen(self._retry_after())

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probing = False

    def record_failure(self) -> None:
        self._failures += 1
        if self._opened_at is not None or self._failures >= self.failure_threshold:
            # a failed trial call (or the threshold reached) opens the circuit for a full period
            self._opened_at = clock.seconds()
        self._probing = False

    def release(self) -> None:
        """The call ended with neither verdict (cancelled, say): let another trial call through."""
        self._probing = False

    @contextmanager
    def guard(self, *failures: type[BaseException]) -> Iterator[None]:
        """Run one call: ``failures`` count against the upstream, a normal exit for it.

        Any other exception (a cancellation, a bug) is no verdict: the counts stay as they
        were and, half-open, the next caller becomes the trial call.
        """
        self.before_call()
        try:
            yield
        except failures:
            self.record_failure()
            raise
        except BaseException:
            self.release()
            raise
        self.record_success()

    def _retry_after(self) -> float:
        assert self._opened_at is not None  # only asked while open or half-open
        return max(0.0, self._opened_at + self.reset_seconds - clock.seconds())
