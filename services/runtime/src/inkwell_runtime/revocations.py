"""Revocation without waiting for expiry: every service follows auth's revocation feed.

Services verify access tokens offline (JWKS), so a logout, a password reset or an account
deletion would otherwise hold only at auth until the token expires. Auth publishes what it
revoked during the last access-token lifetime (``GET /internal/revocations``: session ids and
deleted user ids, nothing older can still be presented); each service polls it every
``REVOCATIONS_POLL_SECONDS`` and refuses tokens whose ``sid`` or ``sub`` is listed. When auth
cannot be reached the last list stays in force (fail-open for new revocations, for at most the
time auth is unreachable; the token's own expiry still bounds it).

On when ``AUTH_REVOCATIONS_URL`` is set (``make dev``, e2e and compose set it).
"""

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx

from contracts.auth import TokenClaims

logger = logging.getLogger(__name__)


class RevocationList:
    def __init__(self) -> None:
        self.sessions: frozenset[uuid.UUID] = frozenset()
        self.users: frozenset[uuid.UUID] = frozenset()

    def refuses(self, claims: TokenClaims) -> bool:
        return claims.sub in self.users or (claims.sid is not None and claims.sid in self.sessions)

    def replace(self, feed: dict[str, Any]) -> None:
        self.sessions = frozenset(uuid.UUID(s) for s in feed.get("sessions", []))
        self.users = frozenset(uuid.UUID(u) for u in feed.get("users", []))


async def refresh(revoked: RevocationList, url: str, client: httpx.AsyncClient) -> bool:
    try:
        response = await client.get(url)
        response.raise_for_status()
        revoked.replace(response.json())
    except (httpx.HTTPError, ValueError) as exc:
        logger.warning("revocation feed unavailable, keeping the last list: %s", exc)
        return False
    return True


@asynccontextmanager
async def following(
    url: str, client: httpx.AsyncClient, poll_seconds: float
) -> AsyncIterator[RevocationList]:
    """A list kept current by a background poll for as long as the context is open."""
    revoked = RevocationList()

    async def poll() -> None:
        while True:
            await refresh(revoked, url, client)
            await anyio.sleep(poll_seconds)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(poll)
        yield revoked
        tasks.cancel_scope.cancel()
