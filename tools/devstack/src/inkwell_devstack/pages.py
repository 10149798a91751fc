"""Does a page load? Its HTML and every script and stylesheet it names, from the page's own host.

A ``200`` for ``/docs`` says nothing when Swagger UI comes from a CDN: offline, the page is
blank. ``make dev``'s table uses :func:`page_status` to check what a browser would fetch.
"""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx


class _AssetLinks(HTMLParser):
    """Collects ``<script src>`` and ``<link rel=stylesheet href>`` URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.links.append(values["src"] or "")
        elif tag == "link" and "stylesheet" in (values.get("rel") or "") and values.get("href"):
            self.links.append(values["href"] or "")


def asset_links(html: str, page_url: str) -> list[str]:
    """Absolute URLs of the scripts and stylesheets ``html`` (served at ``page_url``) loads."""
    parser = _AssetLinks()
    parser.feed(html)
    return [urljoin(page_url, link) for link in parser.links]


def page_status(client: httpx.Client, url: str) -> str:
    """``ok (N assets)`` when the page and each asset answer 200 from the page's own host."""
    try:
        page = client.get(url)
        if page.status_code != 200:
            return f"not ready ({page.status_code})"
        links = asset_links(page.text, url)
        origin = urlsplit(url).netloc
        for link in links:
            if urlsplit(link).netloc != origin:
                return f"needs the internet ({link})"
            code = client.get(link).status_code
            if code != 200:
                return f"asset missing ({code}: {link})"
    except httpx.HTTPError:
        return "down"
    return f"ok ({len(links)} assets)"
