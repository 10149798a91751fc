"""Argon2 password hashing (pwdlib) in worker threads, behind a bounded limiter.

Argon2 costs ~100-300 ms of CPU by design. On the event loop, one login stalls every other
request of the service (16 concurrent logins held ``/api/auth/jwks.json`` for over a second),
so each hash and verify runs in a worker thread (argon2-cffi releases the GIL), and at most
``concurrency`` of them run at once: a login burst queues in the limiter, not on the loop.
"""

import secrets

import anyio
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


class PasswordHasher:
    """Hashes and verifies passwords off the event loop, ``concurrency`` at a time."""

    def __init__(self, time_cost: int, memory_kib: int, concurrency: int) -> None:
        self._hash = PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib),))
        self.limiter = anyio.CapacityLimiter(concurrency)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hash.hash, password, limiter=self.limiter)

    async def verify(self, password: str, hashed: str) -> bool:
        return await anyio.to_thread.run_sync(
            self._hash.verify, password, hashed, limiter=self.limiter
        )

    async def verify_nothing(self, password: str) -> None:
        """Spend exactly what :meth:`verify` spends, for a login whose account does not exist
        (so response timing does not tell who has an account). The dummy hash is made once."""
        await self.verify(password, await self.dummy_hash())

    async def dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = await self.hash(secrets.token_urlsafe(16))
        return self._dummy
