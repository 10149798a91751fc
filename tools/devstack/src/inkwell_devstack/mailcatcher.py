"""A local SMTP capture server: every mail sent to it is kept, none is delivered.

``make dev`` (and the e2e stack) run it and point auth at it, so a password-reset email can be
read and its link followed. Each message is one ``.eml`` file in the data folder (readable with
any mail client or ``cat``), and a small HTTP listing shows them:

- ``GET /``: newest first, as a page (recipient, subject, the text with its links);
- ``GET /messages``: the same as JSON (``id``, ``to``, ``from``, ``subject``, ``received``,
  ``text``);
- ``GET /messages/{id}``: one message as JSON; ``DELETE /messages``: forget them all.

Run: ``python -m inkwell_devstack.mailcatcher --smtp-port 1025 --http-port 8025 --data-dir DIR``.
"""

import argparse
import asyncio
import email
import email.policy
import html
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn
from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

_LINK = re.compile(r"https?://\S+")


class MailStore:
    """Messages as ``<sequence>.eml`` files in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def _files(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"), key=lambda p: int(p.stem))

    def save(self, raw: bytes) -> str:
        files = self._files()
        ident = str(int(files[-1].stem) + 1 if files else 1)
        (self.folder / f"{ident}.eml").write_bytes(raw)
        return ident

    def read(self, ident: str) -> dict[str, Any] | None:
        path = self.folder / f"{ident}.eml"
        if not ident.isdigit() or not path.is_file():
            return None
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        return {
            "id": ident,
            "from": str(message["From"] or ""),
            "to": str(message["To"] or ""),
            "subject": str(message["Subject"] or ""),
            "received": datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(),
            "text": text,
        }

    def all(self) -> list[dict[str, Any]]:
        found = (self.read(p.stem) for p in reversed(self._files()))
        return [m for m in found if m is not None]

    def clear(self) -> None:
        for path in self._files():
            path.unlink(missing_ok=True)


class CaptureHandler:
    """aiosmtpd handler: accept every recipient, keep every message."""

    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        self.store.save(raw if isinstance(raw, bytes) else str(raw).encode())
        return "250 Message accepted for delivery"


def _page(messages: list[dict[str, Any]]) -> str:
    def linked(text: str) -> str:
        escaped = html.escape(text)
        return _LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)

    items = "".join(
        f"<article><h2>{html.escape(m['subject'])}</h2><p>to {html.escape(m['to'])} · "
        f"{html.escape(m['received'])}</p><pre>{linked(m['text'])}</pre></article>"
        for m in messages
    )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Inkwell mail</title>"
        f"<h1>Captured mail ({len(messages)})</h1>{items or '<p>No mail yet.</p>'}</html>"
    )


def http_app(store: MailStore) -> Starlette:
    async def page(request: Request) -> Response:
        return HTMLResponse(_page(store.all()))

    async def listing(request: Request) -> Response:
        if request.method == "DELETE":
            store.clear()
            return Response(status_code=204)
        return JSONResponse(store.all())

    async def one(request: Request) -> Response:
        message = store.read(request.path_params["ident"])
        if message is None:
            return JSONResponse({"detail": "No such message"}, status_code=404)
        return JSONResponse(message)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/", page),
            Route("/healthz", healthz),
            Route("/messages", listing, methods=["GET", "DELETE"]),
            Route("/messages/{ident}", one),
        ]
    )


async def start_smtp(store: MailStore, host: str, port: int) -> asyncio.Server:
    """The SMTP side, on ``port`` (0: one the OS picks; read it from the server's socket)."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: SMTP(CaptureHandler(store)), host, port)


async def serve(host: str, smtp_port: int, http_port: int, folder: Path) -> None:
    store = MailStore(folder)
    smtp = await start_smtp(store, host, smtp_port)
    config = uvicorn.Config(http_app(store), host=host, port=http_port, log_level="warning")
    try:
        await uvicorn.Server(config).serve()
    finally:
        smtp.close()
        await smtp.wait_closed()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.smtp_port, args.http_port, args.data_dir))


if __name__ == "__main__":
    main()
