"""The real email path: SMTP (aiosmtplib) to a capture server (aiosmtpd) on an OS-given port."""

import asyncio
from collections.abc import AsyncIterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from httpx import AsyncClient
from pydantic import ValidationError

from auth_service.api.deps import get_email_sender
from auth_service.core.config import AuthSettings
from auth_service.email import SmtpEmailSender
from auth_service.main import make_email_sender

pytestmark = pytest.mark.anyio


class Captured:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
async def smtp_server() -> AsyncIterator[tuple[int, Captured]]:
    captured = Captured()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(captured), "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], captured
    finally:
        server.close()
        await server.wait_closed()


async def test_a_reset_email_goes_out_over_smtp(
    app: FastAPI,
    client: AsyncClient,
    user: dict[str, Any],
    smtp_server: tuple[int, Captured],
) -> None:
    port, captured = smtp_server
    settings = AuthSettings(environment="test", email_backend="smtp", smtp_port=port)
    app.dependency_overrides[get_email_sender] = lambda: make_email_sender(settings)

    response = await client.post("/api/auth/forgot-password", json={"email": user["email"]})

    assert response.status_code == 202
    ((recipients, message),) = captured.messages
    assert recipients == [user["email"]]
    assert message["Subject"] == "Reset your Inkwell password"
    assert message["From"] == settings.email_from
    text = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "http://127.0.0.1:8000/reset-password?token=" in text  # the suite app's settings


async def test_an_unknown_address_gets_the_no_account_email_over_smtp(
    app: FastAPI, client: AsyncClient, smtp_server: tuple[int, Captured]
) -> None:
    port, captured = smtp_server
    settings = AuthSettings(environment="test", email_backend="smtp", smtp_port=port)
    app.dependency_overrides[get_email_sender] = lambda: make_email_sender(settings)

    response = await client.post("/api/auth/forgot-password", json={"email": "ghost@example.com"})

    assert response.status_code == 202
    ((recipients, message),) = captured.messages
    assert recipients == ["ghost@example.com"]
    assert message["Subject"] == "Inkwell password reset: no account for this address"
    text = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "there is no account with it" in text
    assert "reset-password" not in text


async def test_an_unreachable_server_fails_the_background_task_not_the_answer(
    app: FastAPI, client: AsyncClient, user: dict[str, Any]
) -> None:
    app.dependency_overrides[get_email_sender] = lambda: SmtpEmailSender(
        host="127.0.0.1", port=1, sender="x@example.com", timeout=2
    )

    response = await client.post("/api/auth/forgot-password", json={"email": user["email"]})

    assert response.status_code == 202


def test_production_refuses_the_logging_sender() -> None:
    with pytest.raises(ValidationError, match="EMAIL_BACKEND"):
        AuthSettings(environment="production", jwt_private_key="k", database_url="postgresql://x")


def test_the_smtp_backend_is_built_from_settings() -> None:
    sender = make_email_sender(
        AuthSettings(
            environment="test",
            email_backend="smtp",
            smtp_host="mail.example",
            smtp_port=465,
            smtp_use_tls=True,
            smtp_username="inkwell",
            smtp_password="s3cret",
        )
    )

    assert isinstance(sender, SmtpEmailSender)
    assert (sender.host, sender.port, sender.use_tls) == ("mail.example", 465, True)
    assert (sender.username, sender.password) == ("inkwell", "s3cret")
