"""Argon2 password hashing (pwdlib) in worker threads of their own, at a lower CPU priority.

Argon2 costs ~100-300 ms of CPU by design. On the event loop, one login stalls every other
request of the service (16 concurrent logins held ``/api/auth/jwks.json`` for over a second),
so each hash and verify runs in a worker thread (argon2-cffi releases the GIL), and at most
``concurrency`` of them run at once: a login burst queues in the limiter, not on the loop.

Off the loop is not enough on a machine with few cores: libargon2 runs each hash on
``parallelism`` native threads of its own (4 by default), so two hashes at once are eight
CPU-bound threads, and the event-loop thread waits its turn behind them (a ``jwks.json`` sent
during a login burst waited 80-230 ms). The hashing threads therefore belong to an executor of
their own whose threads lower their scheduling priority when they start (``nice``, Linux: a
per-thread attribute, inherited by the threads libargon2 creates). The kernel then runs the
event loop first whenever it has work, and hashing gets every cycle the loop leaves. The threads
are never lent to other work (the priority cannot be raised back without privileges), which is
why this is not anyio's shared thread pool.
"""

import asyncio
import logging
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import anyio
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

logger = logging.getLogger(__name__)


def lower_thread_priority(nice: int) -> None:
    """Add ``nice`` to the calling thread's niceness (Linux: per thread; threads it creates
    inherit it). Where threads have no priority of their own, nothing happens."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    thread = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + nice)
    except OSError:  # pragma: no cover - a platform refusing it: hash at normal priority
        logger.warning("could not lower the password hashing threads' priority")


class PasswordHasher:
    """Hashes and verifies passwords off the event loop, ``concurrency`` at a time, in threads
    running ``nice`` steps below the loop's priority (0: the same priority)."""

    def __init__(
        self,
        time_cost: int,
        memory_kib: int,
        concurrency: int,
        *,
        parallelism: int = 4,
        nice: int = 10,
    ) -> None:
        self._hash = PasswordHash(
            (Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism),)
        )
        self.limiter = anyio.CapacityLimiter(concurrency)
        self.nice = nice
        self._threads = ThreadPoolExecutor(
            max_workers=concurrency,
            thread_name_prefix="argon2",
            initializer=lower_thread_priority,
            initargs=(nice,),
        )
        self._dummy: str | None = None

    async def _run[T](self, work: Callable[..., T], *args: object) -> T:
        async with self.limiter:
            return await asyncio.get_running_loop().run_in_executor(self._threads, work, *args)

    async def hash(self, password: str) -> str:
        return await self._run(self._hash.hash, password)

    async def verify(self, password: str, hashed: str) -> bool:
        return await self._run(self._hash.verify, password, hashed)

    async def verify_nothing(self, password: str) -> None:
        """Spend exactly what :meth:`verify` spends, for a login whose account does not exist
        (so response timing does not tell who has an account). The dummy hash is made once."""
        await self.verify(password, await self.dummy_hash())

    async def dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = await self.hash(secrets.token_urlsafe(16))
        return self._dummy
