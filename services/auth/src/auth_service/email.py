"""Sending email. Development logs the message; tests replace the sender with a fake."""

import logging
from typing import Protocol

logger = logging.getLogger(__name__)


class EmailSender(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None: ...


class LoggingEmailSender:
    """Writes the email to the log instead of sending it (development and test)."""

    async def send(self, to: str, subject: str, body: str) -> None:
        logger.info("email to %s: %s\n%s", to, subject, body)


async def send_password_reset_email(sender: EmailSender, to: str, reset_url: str) -> None:
    """Runs as a background task after ``/forgot-password`` has answered."""
    await sender.send(
        to,
        "Reset your Inkwell password",
        f"Someone asked to reset your Inkwell password. Open {reset_url} to choose a new one. "
        "If it was not you, ignore this email.",
    )
