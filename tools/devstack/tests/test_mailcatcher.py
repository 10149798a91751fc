"""The SMTP capture server keeps what it is sent, as files and in its HTTP listing."""

from pathlib import Path

import aiosmtplib
import pytest
from httpx import ASGITransport, AsyncClient

from inkwell_devstack.mailcatcher import MailStore, http_app, start_smtp

pytestmark = pytest.mark.anyio


async def test_a_sent_mail_is_a_file_and_a_listing_entry(tmp_path: Path) -> None:
    store = MailStore(tmp_path)
    smtp = await start_smtp(store, "127.0.0.1", 0)
    port = smtp.sockets[0].getsockname()[1]
    try:
        await aiosmtplib.send(
            "From: a@example.com\r\nTo: b@example.com\r\nSubject: Hi\r\n\r\n"
            "Open http://127.0.0.1:8000/reset-password?token=abc now.\r\n",
            sender="a@example.com",
            recipients=["b@example.com"],
            hostname="127.0.0.1",
            port=port,
        )
    finally:
        smtp.close()
        await smtp.wait_closed()

    assert [p.name for p in tmp_path.iterdir()] == ["1.eml"]  # noqa: ASYNC240
    async with AsyncClient(transport=ASGITransport(app=http_app(store)), base_url="http://m") as c:
        listing = (await c.get("/messages")).json()
        one = await c.get("/messages/1")
        page = await c.get("/")
        missing = await c.get("/messages/7")
        cleared = await c.delete("/messages")
        after = (await c.get("/messages")).json()

    assert [(m["to"], m["subject"]) for m in listing] == [("b@example.com", "Hi")]
    assert "token=abc" in one.json()["text"]
    assert '<a href="http://127.0.0.1:8000/reset-password?token=abc">' in page.text
    assert missing.status_code == 404
    assert cleared.status_code == 204
    assert after == []
