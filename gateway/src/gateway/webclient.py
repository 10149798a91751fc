"""The web client: static files the gateway serves at ``/`` (no build step, no CDN).

``index.html`` answers ``/`` and ``/reset-password`` (the link in the reset email); the client
routes everything else itself (``/#/posts/12``) and calls the public API through this gateway,
so it needs no CORS. Its scripts and styles are under ``/ui/``.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

FILES = Path(__file__).parent / "webclient"
PAGES = ("/", "/reset-password")
"""Paths that answer the client's page (the reset email links to the second)."""
SECURITY_HEADERS = {
    # Only Inkwell's own scripts, styles, images (pictures are served by the API) and API calls;
    # `blob:` for the preview of a picture before it is uploaded.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the reset page's URL holds a token
    "Cache-Control": "no-cache",
}


async def _page() -> FileResponse:
    return FileResponse(FILES / "index.html", headers=SECURITY_HEADERS)


def mount_webclient(app: FastAPI) -> None:
    """Serve the client's page at :data:`PAGES` and its files under ``/ui/``."""
    for path in PAGES:
        app.add_api_route(path, _page, methods=["GET"], include_in_schema=False)
    app.mount("/ui", StaticFiles(directory=FILES), name="webclient")
