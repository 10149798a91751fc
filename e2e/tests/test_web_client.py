"""The web client at the gateway's ``/``, in a real Chromium on a phone-sized screen, offline:
every request to a host other than the gateway fails (and fails the test). Each flow a person
uses is driven through the page as they would (labels, buttons), then checked in the page and,
where it matters, through the API. axe-core scans each view for serious violations."""

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from inkwell_e2e.browser import (
    DESKTOP,
    browser,
    context,
    offline_context,
    page,
    playwright,
    screenshot,
    serious_violations,
)
from inkwell_e2e.flows import PASSWORD, png, unique, unique_city
from inkwell_e2e.systems import System

__all__ = ["browser", "context", "page", "playwright"]

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def api(system: System) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=system.gateway_url, timeout=20.0) as client:
        yield client


def api_user(api: httpx.Client, prefix: str) -> dict[str, str]:
    """A registered user (through the API), with a token for checks behind the page's back."""
    username = unique(prefix)
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    created = api.post("/api/auth/register", json=body)
    assert created.status_code == 201, created.text
    token = api.post("/api/auth/token", data={"username": username, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return {**body, "id": created.json()["id"], "token": token.json()["access_token"]}


def bearer(user: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {user['token']}"}


def log_in(page: Page, login: str, password: str = PASSWORD) -> None:
    page.goto("/#/login")
    page.get_by_label("Username or email").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name=re.compile("Log out"))).to_be_visible()


def assert_accessible(page: Page) -> None:
    found = serious_violations(page)
    assert not found, "\n".join(found)


def api_has(api: httpx.Client, method: str, path: str) -> bool:
    """Whether the gateway's public API document lists ``method path`` (parallel work lands
    refresh tokens and account deletion; the client uses them when they are there)."""
    paths = api.get("/openapi.json").json()["paths"]
    return method in paths.get(path, {})


# -- docs and the client's page render offline ------------------------------------------------
def test_docs_render_without_the_internet(browser: Browser, system: System) -> None:
    context = offline_context(browser, system, viewport=DESKTOP)
    page = context.new_page()
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Inkwell API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    page.goto("/redoc")
    expect(page.get_by_role("heading", name=re.compile("Inkwell API"))).to_be_visible()
    expect(page.get_by_text("/api/posts").first).to_be_attached()
    outside = context.outside_requests  # type: ignore[attr-defined]
    context.close()
    assert not outside, outside


@pytest.mark.parametrize("docs_of", ["gateway", "auth"])
def test_swagger_ui_authorizes_then_tries_it_out(
    browser: Browser, system: System, api: httpx.Client, docs_of: str
) -> None:
    """The gateway's /docs, and a service's own (on its own port, asking the gateway for the
    token: DOCS_TOKEN_URL, and the gateway's CORS for that origin)."""
    docs = f"{system.gateway_url}/docs"
    if docs_of != "gateway":
        if system.supervisor is None:
            pytest.skip("a service's own port is known for the local stack only")
        docs = f"{system.supervisor.config.url(docs_of)}/docs"
    user = api_user(api, "swagger")
    context = offline_context(browser, system, also=(docs,), viewport=DESKTOP)
    page = context.new_page()
    page.goto(docs)
    page.get_by_role("button", name="Authorize").first.click()
    page.locator("#oauth_username").fill(user["username"])
    page.locator("#oauth_password").fill(PASSWORD)
    dialog = page.locator(".dialog-ux")
    dialog.locator("button.authorize").click()
    expect(dialog.get_by_role("heading", name="Authorized")).to_be_visible()
    dialog.locator("button.btn-done").click()
    operation = page.locator("#operations-users-read_me_api_users_me_get, [id*='api_users_me_get']")
    operation.first.locator(".opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    live = page.locator(".live-responses-table tbody .response-col_status").first
    expect(live).to_have_text("200")
    expect(page.locator(".live-responses-table")).to_contain_text(user["email"])
    context.close()


# -- the flows ----------------------------------------------------------------------------------
def test_sign_up_then_write_edit_and_delete_a_post(page: Page, api: httpx.Client) -> None:
    username = unique("writer")
    page.goto("/")
    expect(page.get_by_role("heading", name="Latest posts")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Sign up").click()
    assert_accessible(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name=f"@{username}")).to_be_visible()

    page.get_by_role("link", name="Write").click()
    assert_accessible(page)
    page.get_by_label("Title").fill("Ink and paper")
    page.get_by_label("Text").fill("A first post, written in a real browser.")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", name="Ink and paper")).to_be_visible()
    post_id = page.url.rsplit("/", 1)[1]
    assert api.get(f"/api/posts/{post_id}").json()["author"]["username"] == username
    assert_accessible(page)

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Title").fill("Ink, paper and a browser")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Ink, paper and a browser")).to_be_visible()
    expect(page.get_by_text(re.compile("edited"))).to_be_visible()
    assert api.get(f"/api/posts/{post_id}").json()["title"] == "Ink, paper and a browser"

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_have_text("Post deleted.")
    expect(page.get_by_role("heading", name="Latest posts")).to_be_visible()
    assert api.get(f"/api/posts/{post_id}").status_code == 404


def test_someone_elses_post_has_no_edit_or_delete(page: Page, api: httpx.Client) -> None:
    author, reader = api_user(api, "author"), api_user(api, "reader")
    post = api.post(
        "/api/posts", json={"title": "Not yours", "content": "Hands off."}, headers=bearer(author)
    ).json()
    log_in(page, reader["username"])
    page.goto(f"/#/posts/{post['id']}")
    expect(page.get_by_role("heading", name="Not yours")).to_be_visible()
    expect(page.get_by_text(author["username"])).to_be_visible()
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)


def test_the_feed_pages_through_every_post(page: Page, api: httpx.Client) -> None:
    author = api_user(api, "prolific")
    marker = uuid.uuid4().hex[:6]
    titles = [f"Note {marker} {n:02}" for n in range(1, 13)]
    for title in titles:
        created = api.post(
            "/api/posts", json={"title": title, "content": f"{title}."}, headers=bearer(author)
        )
        assert created.status_code == 201, created.text
    picture = api.put(
        "/api/users/me/profile-picture",
        files={"file": ("me.png", png(64, 64, (40, 90, 160)), "image/png")},
        headers=bearer(author),
    )
    assert picture.status_code == 200, picture.text

    page.goto("/")
    cards = page.locator(".post-card h2")
    expect(cards).to_have_count(10)
    first_page = cards.all_inner_texts()
    # the newest first: the last two notes written lead the feed
    assert first_page[:2] == [titles[11], titles[10]]
    screenshot(page, "feed")
    page.get_by_role("link", name="Older posts").click()
    expect(cards.first).to_have_text(titles[1])
    second_page = cards.all_inner_texts()
    assert titles[0] in second_page and not set(first_page) & set(second_page)
    page.get_by_role("link", name="Newer posts").click()
    expect(cards.first).to_have_text(titles[11])

    page.get_by_role("link", name=titles[11]).click()
    expect(page.get_by_role("heading", name=titles[11], level=1)).to_be_visible()
    avatar = page.locator("main > .byline img.avatar")
    expect(avatar).to_have_attribute("src", f"/api/users/{author['id']}/profile-picture")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 64", arg=avatar.element_handle()
    )
    screenshot(page, "post")


def test_profile_picture_with_preview_and_errors(
    page: Page, api: httpx.Client, tmp_path: Path
) -> None:
    user = api_user(api, "pictured")
    log_in(page, user["email"])
    page.get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", name=f"@{user['username']}")).to_be_visible()
    assert_accessible(page)
    chooser = page.get_by_label("New picture")
    error = page.locator("#picture-error")

    text_file = tmp_path / "notes.txt"
    text_file.write_text("not an image")
    chooser.set_input_files(text_file)
    expect(error).to_have_text("notes.txt is not a PNG, JPEG or WebP image.")

    big = tmp_path / "huge.png"
    big.write_bytes(png(8, 8) + b"\0" * (6 * 1024 * 1024))
    chooser.set_input_files(big)
    expect(error).to_have_text("huge.png is 6.0 MB; the limit is 5 MB.")

    # a file that claims to be a PNG but is not: the server's answer is shown
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"GIF89a" + b"\0" * 64)
    chooser.set_input_files(fake)
    expect(error).to_have_text("")
    page.get_by_role("button", name="Upload picture").click()
    expect(error).to_contain_text("Unsupported image type")

    good = tmp_path / "me.png"
    good.write_bytes(png(96, 96, (30, 130, 90)))
    chooser.set_input_files(good)
    preview = page.get_by_alt_text("Preview of the chosen picture")
    expect(preview).to_be_visible()
    page.get_by_role("button", name="Upload picture").click()
    expect(page.get_by_role("status")).to_have_text("Picture uploaded.")
    shown = page.get_by_alt_text("Your profile picture")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 96", arg=shown.element_handle()
    )
    stored = api.get(f"/api/users/{user['id']}/profile-picture")
    assert stored.status_code == 200 and stored.headers["content-type"] == "image/png"
    screenshot(page, "profile")


def test_preferences_theme_and_weather_for_my_city(page: Page, api: httpx.Client) -> None:
    user = api_user(api, "weathered")
    city = unique_city("Webville")
    log_in(page, user["username"])
    page.get_by_role("link", name="Weather").click()
    expect(page.get_by_role("link", name="Set your city in your preferences.")).to_be_visible()

    page.get_by_role("link", name="Settings").click()
    page.get_by_label("City", exact=True).fill(city)
    page.get_by_label("Units").select_option("imperial")
    page.get_by_label("Theme").select_option("dark")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("status")).to_have_text("Preferences saved.")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert_accessible(page)
    saved = api.get("/api/users/me/preferences", headers=bearer(user)).json()
    assert (saved["city"], saved["units"]) == (city, "imperial")

    page.reload()  # the theme is kept in the browser
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.get_by_role("link", name="Weather").click()
    card = page.get_by_label(f"Weather in {city}")
    expect(card).to_be_visible()
    report = api.get("/api/weather/me", headers=bearer(user)).json()
    assert (report["units"], report["temperature_unit"]) == ("imperial", "°F")
    assert report["temperature"] == round(report["temperature_c"] * 9 / 5 + 32, 1)
    expect(card.locator(".temp")).to_have_text(f"{round(report['temperature'])} °F")
    expect(card).to_contain_text(f"Wind {round(report['wind_speed'])} mph")
    assert_accessible(page)
    screenshot(page, "weather")


def _reset_link(system: System, email: str) -> str:
    """The reset link auth really mailed, read from the stack's mail catcher (``/messages``)."""
    if system.stores.mail_url is None:
        pytest.skip("no mail capture listing reachable from the tests (E2E_MAIL_URL)")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        messages = httpx.get(f"{system.stores.mail_url}/messages", timeout=5).json()
        for message in reversed(messages):
            found = re.search(r"reset-password\?token=([\w-]+)", message["text"])
            if message["to"] == email and found:
                return f"/reset-password?token={found.group(1)}"
        time.sleep(0.2)
    raise AssertionError(f"no reset email to {email} at {system.stores.mail_url}")


def test_forgot_and_reset_password(page: Page, api: httpx.Client, system: System) -> None:
    user = api_user(api, "forgetful")
    page.goto("/#/login")
    page.get_by_role("link", name="Forgot your password?").click()
    assert_accessible(page)
    page.get_by_label("Email").fill(user["email"])
    page.get_by_role("button", name="Send me a reset link").click()
    expect(page.get_by_role("status")).to_contain_text("reset link has been sent")

    page.goto(_reset_link(system, user["email"]))
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password was changed")
    assert "token" not in page.url
    log_in(page, user["username"], NEW_PASSWORD)
    old = api.post("/api/auth/token", data={"username": user["username"], "password": PASSWORD})
    assert old.status_code == 401


def test_a_wrong_password_is_shown_and_nothing_is_stored(page: Page, api: httpx.Client) -> None:
    user = api_user(api, "typo")
    page.goto("/#/login")
    page.get_by_label("Username or email").fill(user["username"])
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile("password", re.I))
    assert page.evaluate("localStorage.getItem('inkwell.access')") is None
    assert_accessible(page)


def test_log_out_and_account_deletion(page: Page, api: httpx.Client) -> None:
    user = api_user(api, "leaving")
    log_in(page, user["username"])
    page.get_by_role("button", name=re.compile("Log out")).click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    assert page.evaluate("localStorage.getItem('inkwell.access')") is None

    log_in(page, user["username"])
    page.get_by_role("link", name="Profile").click()
    section = page.get_by_role("region", name="Delete your account")
    section.get_by_label("Password").fill(PASSWORD)
    page.once("dialog", lambda dialog: dialog.accept())
    section.get_by_role("button", name="Delete my account").click()
    if api_has(api, "delete", "/api/users/me"):
        expect(page.get_by_role("status")).to_have_text("Your account was deleted.")
        gone = api.post(
            "/api/auth/token", data={"username": user["username"], "password": PASSWORD}
        )
        assert gone.status_code == 401
    else:
        expect(page.get_by_role("status")).to_have_text(
            "This server does not offer account deletion yet."
        )


def test_an_expired_session_refreshes_or_asks_to_log_in_again(
    page: Page, api: httpx.Client
) -> None:
    """With refresh tokens (the accounts work), a rejected access token is renewed silently;
    without them, the client forgets the session and asks for a login."""
    user = api_user(api, "sleepy")
    log_in(page, user["username"])
    page.evaluate("localStorage.setItem('inkwell.access', 'expired.or.revoked')")
    page.get_by_role("link", name="Profile").click()
    if api_has(api, "post", "/api/auth/refresh"):
        expect(page.get_by_role("heading", name=f"@{user['username']}")).to_be_visible()
        renewed = page.evaluate("localStorage.getItem('inkwell.access')")
        assert renewed != "expired.or.revoked"
        me = api.get("/api/users/me", headers={"Authorization": f"Bearer {renewed}"})
        assert me.json()["username"] == user["username"]
    else:
        expect(page.get_by_role("status")).to_have_text(
            "Your session has ended; please log in again"
        )
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        assert page.evaluate("localStorage.getItem('inkwell.access')") is None
