"""Erasing a deleted account everywhere: an outbox, not a best-effort call.

Deleting an account writes one :class:`ErasureOutbox` row per service that holds the user's
data, in the same transaction that deletes the user. A worker (started with the app) delivers
due rows: ``DELETE {service}/internal/users/{id}`` with a service token (audience
``inkwell-internal``, never a user's token). 2xx or 404 marks the row delivered; anything else
(the service down, a 5xx, a timeout) schedules a retry after a backoff capped at
``OUTBOX_MAX_BACKOFF_SECONDS``, so a service that was down is erased within seconds of coming
back. Rows are claimed with ``FOR UPDATE SKIP LOCKED``: several auth replicas share the work.
"""

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta

import anyio
import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.models import ErasureOutbox, utcnow
from inkwell_runtime.jwt import SigningKey
from inkwell_runtime.service_identity import issue_service_token

logger = logging.getLogger(__name__)

BATCH = 50
Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def backoff(attempts: int, cap_seconds: float) -> timedelta:
    return timedelta(seconds=min(0.5 * 2**attempts, cap_seconds))


async def deliver_due(
    sessions: Sessions,
    client: httpx.AsyncClient,
    key: SigningKey,
    *,
    issuer: str,
    services: Mapping[str, str],
    max_backoff_seconds: float,
    now: datetime | None = None,
) -> int:
    """Deliver every due row once; the number delivered."""
    moment = now or utcnow()
    delivered = 0
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(ErasureOutbox)
                .where(
                    ErasureOutbox.delivered_at.is_(None), ErasureOutbox.next_attempt_at <= moment
                )
                .order_by(ErasureOutbox.next_attempt_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not rows:
            return 0
        token = issue_service_token(key, service="auth", issuer=issuer)
        for row in rows:
            error = await _call(client, services.get(row.service), row, token)
            row.attempts += 1
            if error is None:
                row.delivered_at = utcnow()
                row.last_error = None
                delivered += 1
            else:
                row.last_error = error
                row.next_attempt_at = utcnow() + backoff(row.attempts, max_backoff_seconds)
                logger.warning("erasure of %s at %s failed: %s", row.user_id, row.service, error)
        await session.commit()
    return delivered


async def _call(
    client: httpx.AsyncClient, base_url: str | None, row: ErasureOutbox, token: str
) -> str | None:
    """None when the service confirmed; else why not."""
    if base_url is None:
        return f"no URL configured for {row.service}"
    try:
        response = await client.delete(
            f"{base_url.rstrip('/')}/internal/users/{row.user_id}",
            headers={"Authorization": f"Bearer {token}"},
        )
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if response.is_success or response.status_code == 404:
        return None
    return f"HTTP {response.status_code}: {response.text[:400]}"


async def run(
    sessions: Sessions,
    client: httpx.AsyncClient,
    key: SigningKey,
    *,
    issuer: str,
    services: Mapping[str, str],
    poll_seconds: float,
    max_backoff_seconds: float,
) -> None:
    """The worker loop (until cancelled): deliver what is due, then wait a little."""
    while True:
        try:
            await deliver_due(
                sessions,
                client,
                key,
                issuer=issuer,
                services=services,
                max_backoff_seconds=max_backoff_seconds,
            )
        except Exception:
            # The database may be down for a moment; the rows wait for the next round.
            logger.exception("erasure outbox round failed")
        await anyio.sleep(poll_seconds)
