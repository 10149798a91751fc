"""Sending email: over SMTP (``EMAIL_BACKEND=smtp``, aiosmtplib), or to the log.

The logging sender writes whole messages, reset links and their tokens included, to the log:
development and tests only; production refuses to start with it (see ``AuthSettings``).
``make dev`` runs a local SMTP capture server and points auth at it; tests replace the sender
with a fake, or send for real to a capture server of their own.
"""

import logging
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

logger = logging.getLogger(__name__)


class EmailSender(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None: ...


class LoggingEmailSender:
    """Writes the email to the log instead of sending it (development and test)."""

    async def send(self, to: str, subject: str, body: str) -> None:
        logger.info("email to %s: %s\n%s", to, subject, body)


class SmtpEmailSender:
    """Sends through an SMTP server (implicit TLS, STARTTLS or plain, as configured)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
        start_tls: bool | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.use_tls, self.start_tls, self.timeout = use_tls, start_tls, timeout

    async def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=self.timeout,
        )


async def send_password_reset_email(sender: EmailSender, to: str, reset_url: str) -> None:
    """Runs as a background task after ``/forgot-password`` has answered."""
    try:
        await sender.send(
            to,
            "Reset your Inkwell password",
            f"Someone asked to reset your Inkwell password. Open {reset_url} to choose a new "
            "one. If it was not you, ignore this email.",
        )
    except (aiosmtplib.SMTPException, OSError):
        # After the answer has gone nobody can be told; the user can ask again.
        logger.exception("could not send the password reset email")


async def send_no_account_email(sender: EmailSender, to: str, home_url: str) -> None:
    """What ``/forgot-password`` sends an address without an account: the same work as a
    reset email (so the service's load does not tell who has one), and a useful answer to
    someone who forgot which address they signed up with."""
    try:
        await sender.send(
            to,
            "Inkwell password reset: no account for this address",
            "Someone asked to reset the password of the Inkwell account for this address, but "
            "there is no account with it. If it was you, you may have signed up with another "
            f"address, or you can create an account at {home_url}. If it was not you, ignore "
            "this email.",
        )
    except (aiosmtplib.SMTPException, OSError):
        logger.exception("could not send the no-account email")
