"""The browser suite's parts: a real Chromium driven by Playwright, screenshots, and axe-core.

Chromium is the system's (Debian's ``chromium`` package; ``E2E_CHROMIUM`` names another), else
Playwright's own build (GitHub's CI installs it; offline machines cannot download it).
axe-core comes from npm (``e2e/browser/package.json``; ``.ci/run`` installs it) and is
injected into pages.
Screenshots go to ``E2E_SCREENSHOT_DIR`` (default ``.run/e2e/screenshots``); the README's are
made with ``E2E_SCREENSHOT_DIR=docs/screenshots``.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from inkwell_e2e.systems import System

ROOT = Path(__file__).resolve().parents[3]
AXE_SCRIPT = ROOT / "e2e" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1100, "height": 800}
TIMEOUT_MS = 20_000
"""How long an action or an expectation waits (ReDoc lays out the whole API on a busy machine)."""
expect.set_options(timeout=TIMEOUT_MS)
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
DECORATIONS = frozenset({"https://cdn.redoc.ly/redoc/logo-mini.svg"})
"""Outside requests a page may make offline: ReDoc's "API docs by Redocly" badge (built into
its bundle, no option turns it off). Blocked like the rest; the page renders without it."""


def chromium_path() -> str | None:
    """The Chromium to drive: ``E2E_CHROMIUM``, else the system's; ``None``: Playwright's own
    build (``playwright install chromium``, where its download host is reachable)."""
    return os.environ.get("E2E_CHROMIUM") or shutil.which("chromium")


def screenshot_dir() -> Path:
    folder = Path(os.environ.get("E2E_SCREENSHOT_DIR") or ROOT / ".run" / "e2e" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# Module-scoped: Playwright's sync API keeps an event loop running while it is open, and
# anyio's runner cannot start the async tests of the next module beside it.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    try:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
    except PlaywrightError as exc:  # the suite must not skip: say what to install
        pytest.fail(f"no Chromium to drive: `apt-get install -y chromium` (or E2E_CHROMIUM): {exc}")
    yield browser
    browser.close()


def offline_context(
    browser: Browser, system: System, *, also: tuple[str, ...] = (), **options: Any
) -> BrowserContext:
    """A browser context that may reach the gateway (and the URLs in ``also``) only: any other
    host fails the request (as on a machine without internet), and ``outside_requests`` lists
    what was asked for."""
    context = browser.new_context(base_url=system.gateway_url, **options)
    allowed = {urlsplit(url).netloc for url in (system.gateway_url, *also)}
    outside: list[str] = []

    def only_the_gateway(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).netloc in allowed or url.startswith(("blob:", "data:")):
            route.continue_()
        else:
            if url not in DECORATIONS:
                outside.append(url)
            route.abort()

    context.route("**/*", only_the_gateway)
    context.outside_requests = outside  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def context(browser: Browser, system: System) -> Iterator[BrowserContext]:
    """A phone-sized context (the client must work there); CSP bypassed so axe can be injected."""
    context = offline_context(browser, system, viewport=PHONE, bypass_csp=True)
    yield context
    outside = context.outside_requests  # type: ignore[attr-defined]
    context.close()
    assert not outside, f"the pages asked for other hosts: {outside}"


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    # Every test's last view, kept as an artifact (what a failing test saw).
    folder = screenshot_dir() / "tests"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=folder / f"{request.node.name}.png", full_page=True)
    assert not errors, f"uncaught errors in the page: {errors}"


def screenshot(page: Page, name: str) -> None:
    """Save ``name``.png of the whole page (the README shows some of them)."""
    page.screenshot(path=screenshot_dir() / f"{name}.png", full_page=True)


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (WCAG 2.x A/AA)."""
    if not AXE_SCRIPT.exists():
        pytest.fail(f"axe-core is missing: `npm ci --prefix e2e/browser` ({AXE_SCRIPT})")
    page.add_script_tag(path=AXE_SCRIPT)
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: "tag",
            values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]
