"""The work behind ``/forgot-password``, done after the response has gone.

The endpoint only schedules :func:`issue_reset`: looking the account up, counting and writing
the address's mails, and sending one, all happen in the background, for known and unknown
addresses alike: a known address gets a reset link, an unknown one a note that there is no
account (a common practice, and equal work: the request after either shares the service with
the same load). So the answer's status, body and timing say nothing about who has an account.
"""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import accounts
from auth_service.email import EmailSender, send_no_account_email, send_password_reset_email


async def issue_reset(
    sessions: Callable[[], AbstractAsyncContextManager[AsyncSession]],
    mailer: EmailSender,
    email: str,
    ttl: timedelta,
    reset_url: str,
    home_url: str,
) -> None:
    """The mail due to ``email``: a reset link when it has an account, a note that it has
    none otherwise (the same database work and one SMTP send either way); nothing past the
    address's hourly allowance."""
    async with sessions() as session:
        due = await accounts.request_reset(session, email, ttl)
    if due is None:
        return
    if due.token is None:
        await send_no_account_email(mailer, due.to, home_url)
        return
    link = f"{reset_url}?{urlencode({'token': due.token})}"
    await send_password_reset_email(mailer, due.to, link)
