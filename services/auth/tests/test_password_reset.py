from datetime import timedelta
from typing import Any
from unittest.mock import AsyncMock, patch
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import accounts
from auth_service.models import PasswordResetToken, ResetMail
from inkwell_runtime.clock import utcnow

from .conftest import PASSWORD, Outbox

pytestmark = pytest.mark.anyio

NEW_PASSWORD = "a brand new passphrase"


def token_from(outbox: Outbox) -> str:
    (email,) = outbox.sent
    url = next(word for word in email["body"].split() if word.startswith("http"))
    return parse_qs(urlparse(url).query)["token"][0]


async def test_forgot_password_answers_the_same_for_known_and_unknown_emails(
    client: AsyncClient, user: dict[str, Any], outbox: Outbox
) -> None:
    known = await client.post("/api/auth/forgot-password", json={"email": user["email"]})
    unknown = await client.post("/api/auth/forgot-password", json={"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    reset, no_account = outbox.sent
    assert (reset["to"], reset["subject"]) == (user["email"], "Reset your Inkwell password")
    assert no_account["to"] == "nobody@example.com"
    assert no_account["subject"] == "Inkwell password reset: no account for this address"
    assert "there is no account with it" in no_account["body"]
    assert "token" not in no_account["body"]
    assert "http://127.0.0.1:8000" in no_account["body"]  # where to sign up instead


async def test_the_no_account_email_is_sent_by_the_background_task(client: AsyncClient) -> None:
    """Patch where the name is looked up: the background job's module imported it."""
    with (
        patch("auth_service.resets.send_no_account_email", new_callable=AsyncMock) as note,
        patch("auth_service.resets.send_password_reset_email", new_callable=AsyncMock) as reset,
    ):
        response = await client.post(
            "/api/auth/forgot-password", json={"email": "  Nobody@Example.com"}
        )

    assert response.status_code == 202
    note.assert_awaited_once()
    assert note.await_args is not None
    _sender, to, home = note.await_args.args
    assert (to, home) == ("nobody@example.com", "http://127.0.0.1:8000")
    reset.assert_not_awaited()


async def test_an_unknown_address_gets_at_most_a_few_emails_an_hour_too(
    client: AsyncClient, outbox: Outbox, db_session: AsyncSession
) -> None:
    for _ in range(5):
        await client.post("/api/auth/forgot-password", json={"email": "nobody@example.com"})
    await client.post("/api/auth/forgot-password", json={"email": "NOBODY@example.com"})
    await client.post("/api/auth/forgot-password", json={"email": "somebody@example.com"})

    assert [m["to"] for m in outbox.sent] == ["nobody@example.com"] * 3 + ["somebody@example.com"]
    stored = await db_session.scalars(select(ResetMail.address_digest))
    assert "nobody" not in "".join(stored)  # addresses are kept as digests only


async def test_an_hour_later_an_address_may_be_mailed_again_and_old_rows_are_gone(
    client: AsyncClient, outbox: Outbox, db_session: AsyncSession
) -> None:
    for _ in range(4):
        await client.post("/api/auth/forgot-password", json={"email": "nobody@example.com"})
    with time_machine.travel(utcnow() + timedelta(hours=1, seconds=1), tick=False):
        later = await client.post("/api/auth/forgot-password", json={"email": "nobody@example.com"})

    assert later.status_code == 202
    assert len(outbox.sent) == accounts.MAX_RESET_EMAILS_PER_HOUR + 1
    rows = await db_session.scalar(select(func.count()).select_from(ResetMail))
    assert rows == 1  # the hour's older rows were deleted with it


async def test_reset_email_is_sent_by_a_background_task(
    client: AsyncClient, user: dict[str, Any]
) -> None:
    """Patch where the name is looked up: the background job's module imported it."""
    with patch("auth_service.resets.send_password_reset_email", new_callable=AsyncMock) as send:
        response = await client.post(
            "/api/auth/forgot-password", json={"email": user["email"].upper()}
        )

    assert response.status_code == 202
    send.assert_awaited_once()
    assert send.await_args is not None
    _sender, to, url = send.await_args.args
    assert to == user["email"]
    assert url.startswith("http://127.0.0.1:8000/reset-password?token=")


async def test_reset_changes_the_password_once(
    client: AsyncClient, user: dict[str, Any], outbox: Outbox
) -> None:
    await client.post("/api/auth/forgot-password", json={"email": user["email"]})
    token = token_from(outbox)

    first = await client.post(
        "/api/auth/reset-password", json={"token": token, "new_password": NEW_PASSWORD}
    )
    again = await client.post(
        "/api/auth/reset-password", json={"token": token, "new_password": "yet another one"}
    )

    assert first.status_code == 204
    assert again.status_code == 400
    assert again.json() == {"detail": "Invalid or expired reset token"}
    old = await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    new = await client.post("/api/auth/login", json={"username": "alice", "password": NEW_PASSWORD})
    assert old.status_code == 401
    assert new.status_code == 200


async def test_expired_and_unknown_tokens_are_rejected(
    client: AsyncClient, user: dict[str, Any], db_session: AsyncSession
) -> None:
    issued = await accounts.create_reset_token(
        db_session, user["email"], timedelta(minutes=30), now=utcnow() - timedelta(hours=1)
    )
    assert issued is not None
    _, expired = issued

    for token in (expired, "made-up-token"):
        response = await client.post(
            "/api/auth/reset-password", json={"token": token, "new_password": NEW_PASSWORD}
        )
        assert response.status_code == 400
        assert response.json() == {"detail": "Invalid or expired reset token"}
    login = await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    assert login.status_code == 200


async def test_reset_rejects_a_weak_new_password(client: AsyncClient) -> None:
    response = await client.post(
        "/api/auth/reset-password", json={"token": "x", "new_password": "short"}
    )

    assert response.status_code == 422


async def test_an_account_gets_at_most_a_few_reset_emails_an_hour(
    client: AsyncClient, user: dict[str, Any], outbox: Outbox, db_session: AsyncSession
) -> None:
    answers = [
        await client.post("/api/auth/forgot-password", json={"email": user["email"]})
        for _ in range(5)
    ]

    assert {a.status_code for a in answers} == {202}
    assert len(outbox.sent) == accounts.MAX_RESET_EMAILS_PER_HOUR
    stored = await db_session.scalar(select(func.count()).select_from(PasswordResetToken))
    assert stored == accounts.MAX_RESET_EMAILS_PER_HOUR


async def test_a_reset_spends_every_other_outstanding_reset_token(
    client: AsyncClient, user: dict[str, Any], outbox: Outbox
) -> None:
    for _ in range(2):
        await client.post("/api/auth/forgot-password", json={"email": user["email"]})
    older, newer = (
        parse_qs(urlparse(next(w for w in m["body"].split() if w.startswith("http"))).query)[
            "token"
        ][0]
        for m in outbox.sent
    )

    used = await client.post(
        "/api/auth/reset-password", json={"token": newer, "new_password": NEW_PASSWORD}
    )
    stale = await client.post(
        "/api/auth/reset-password", json={"token": older, "new_password": "yet another one"}
    )

    assert used.status_code == 204
    assert stale.status_code == 400
