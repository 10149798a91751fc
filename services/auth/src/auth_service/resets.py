"""The work behind ``/forgot-password``, done after the response has gone.

The endpoint only schedules :func:`issue_reset`: looking the account up, writing a token and
sending the email all happen in the background, for known and unknown addresses alike, so the
answer's status, body and timing say nothing about who has an account.
"""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import accounts
from auth_service.email import EmailSender, send_password_reset_email


async def issue_reset(
    sessions: Callable[[], AbstractAsyncContextManager[AsyncSession]],
    mailer: EmailSender,
    email: str,
    ttl: timedelta,
    reset_url: str,
) -> None:
    """A reset token and its email for ``email``'s account, if there is one and it is not over
    its hourly allowance; nothing otherwise."""
    async with sessions() as session:
        issued = await accounts.create_reset_token(session, email, ttl)
    if issued is None:
        return
    user, token = issued
    link = f"{reset_url}?{urlencode({'token': token})}"
    await send_password_reset_email(mailer, user.email, link)
