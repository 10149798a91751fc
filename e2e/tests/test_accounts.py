"""Accounts you can trust, through the gateway: sessions that end, resets by real email,
a per-account throttle, a password policy, one account per look-alike spelling."""

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from inkwell_e2e.flows import PASSWORD, User, eventually, unique

pytestmark = pytest.mark.anyio

NEW_PASSWORD = "an entirely new passphrase"


async def log_in(gateway: httpx.AsyncClient, user: User, password: str = PASSWORD) -> Any:
    response = await gateway.post(
        "/api/auth/login", json={"username": user.username, "password": password}
    )
    assert response.status_code == 200, response.text
    return response.json()


def bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def refresh_rows(auth_db: AsyncEngine, user: User) -> list[Any]:
    async with auth_db.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT family_id, used_at, revoked_at FROM refresh_tokens "
                "WHERE user_id = :id ORDER BY created_at"
            ),
            {"id": user.id},
        )
        return list(result.all())


async def test_refresh_rotates_and_a_replayed_token_ends_the_session(
    gateway: httpx.AsyncClient, alice: User, auth_db: AsyncEngine
) -> None:
    pair = await log_in(gateway, alice)
    assert set(pair) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert (pair["token_type"], pair["expires_in"]) == ("bearer", 900)

    rotated = await gateway.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    assert (await gateway.get("/api/users/me", headers=bearer(rotated.json()))).status_code == 200

    replayed = await gateway.post(
        "/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert replayed.status_code == 401
    newest = await gateway.post(
        "/api/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
    )
    assert newest.status_code == 401
    assert (await gateway.get("/api/users/me", headers=bearer(rotated.json()))).status_code == 401

    sessions = {row.family_id for row in await refresh_rows(auth_db, alice)}
    family = [r for r in await refresh_rows(auth_db, alice) if r.revoked_at is not None]
    assert len(family) == 2  # the login's token and its successor, both revoked
    assert len(sessions) == 2  # the fixture's own login is another session, still live


async def test_logout_ends_the_session(
    gateway: httpx.AsyncClient, alice: User, auth_db: AsyncEngine
) -> None:
    pair = await log_in(gateway, alice)

    out = await gateway.post("/api/auth/logout", json={"refresh_token": pair["refresh_token"]})

    assert out.status_code == 204
    assert (await gateway.get("/api/users/me", headers=bearer(pair))).status_code == 401
    again = await gateway.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401
    revoked = [r for r in await refresh_rows(auth_db, alice) if r.revoked_at is not None]
    assert len(revoked) == 1


async def test_every_service_refuses_a_logged_out_sessions_token_within_seconds(
    gateway: httpx.AsyncClient, alice: User
) -> None:
    """Not only auth: content, preferences and weather follow auth's revocation feed."""
    pair = await log_in(gateway, alice)
    probes = ("/api/users/me/preferences", "/api/posts?limit=1")
    post = await gateway.post(
        "/api/posts", json={"title": "before", "content": "x"}, headers=bearer(pair)
    )
    assert post.status_code == 201

    out = await gateway.post("/api/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert out.status_code == 204

    async def refused() -> bool:
        created = await gateway.post(
            "/api/posts", json={"title": "after", "content": "x"}, headers=bearer(pair)
        )
        prefs = await gateway.get(probes[0], headers=bearer(pair))
        return created.status_code == prefs.status_code == 401

    assert await eventually(refused, seconds=10)
    # the user's other session (the fixture's login) is untouched
    assert (await gateway.get(probes[0], headers=alice.headers)).status_code in (200, 404)


async def reset_mail(mail: httpx.AsyncClient, to: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    async def arrived() -> bool:
        found[:] = [m for m in (await mail.get("/messages")).json() if m["to"] == to]
        return bool(found)

    assert await eventually(arrived, seconds=10), f"no mail to {to}"
    return found[0]


async def test_a_reset_by_email_revokes_every_session_and_older_links(
    gateway: httpx.AsyncClient,
    alice: User,
    mail: httpx.AsyncClient,
    auth_db: AsyncEngine,
    system: Any,
) -> None:
    pair = await log_in(gateway, alice)
    known = await gateway.post("/api/auth/forgot-password", json={"email": alice.email})
    unknown = await gateway.post(
        "/api/auth/forgot-password", json={"email": f"{unique('ghost')}@example.com"}
    )
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()

    message = await reset_mail(mail, alice.email)
    assert message["subject"] == "Reset your Inkwell password"
    link = re.search(r"http\S+", message["text"])
    assert link is not None
    url = urlparse(link.group(0))
    assert f"{url.scheme}://{url.netloc}" == system.gateway_url
    assert url.path == "/reset-password"
    token = parse_qs(url.query)["token"][0]

    reset = await gateway.post(
        "/api/auth/reset-password", json={"token": token, "new_password": NEW_PASSWORD}
    )

    assert reset.status_code == 204, reset.text
    assert (await gateway.get("/api/users/me", headers=bearer(pair))).status_code == 401
    refreshed = await gateway.post(
        "/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refreshed.status_code == 401
    assert all(r.revoked_at is not None for r in await refresh_rows(auth_db, alice))
    old = await gateway.post(
        "/api/auth/login", json={"username": alice.username, "password": PASSWORD}
    )
    assert old.status_code == 401
    await log_in(gateway, alice, NEW_PASSWORD)
    async with auth_db.connect() as conn:
        unused = await conn.scalar(
            text(
                "SELECT count(*) FROM password_reset_tokens WHERE user_id = :id AND used_at IS NULL"
            ),
            {"id": alice.id},
        )
    assert unused == 0


@pytest.mark.usefixtures("per_process")  # auth's throttle: in memory, per auth process
async def test_failed_logins_are_throttled_per_account_whatever_the_client_claims(
    gateway: httpx.AsyncClient, alice: User
) -> None:
    for attempt in range(10):
        wrong = await gateway.post(
            "/api/auth/login",
            json={"username": alice.username, "password": f"guess number {attempt}"},
            headers={"X-Forwarded-For": f"198.51.100.{attempt}"},
        )
        assert wrong.status_code == 401

    right = await gateway.post(
        "/api/auth/login",
        json={"username": alice.username, "password": PASSWORD},
        headers={"X-Forwarded-For": "192.0.2.77"},
    )

    assert right.status_code == 429
    assert int(right.headers["Retry-After"]) > 0


async def test_weak_passwords_are_refused_without_being_echoed(
    gateway: httpx.AsyncClient, auth_db: AsyncEngine
) -> None:
    username = unique("weak")
    for password in ("password", "12345678", " " * 8, "\x00" * 8, "p" * 200):
        response = await gateway.post(
            "/api/auth/register",
            json={"username": username, "email": f"{username}@example.com", "password": password},
        )
        assert response.status_code in (400, 422), response.text  # NUL may be refused earlier
        detail = response.json()["detail"]
        if isinstance(detail, list):
            echoed = [e.get("input") for e in detail if e["loc"][-1] == "password"]
            assert set(echoed) <= {"[redacted]", None}  # None: the request guard echoes nothing
        if password.strip() and password != "password":  # (the field is called password)
            assert password not in response.text
    async with auth_db.connect() as conn:
        stored = await conn.scalar(
            text("SELECT count(*) FROM users WHERE username = :u"), {"u": username}
        )
    assert stored == 0


async def test_lookalike_emails_do_not_make_a_second_account(
    gateway: httpx.AsyncClient, alice: User, auth_db: AsyncEngine
) -> None:
    fullwidth = "\uff41" + alice.email[1:] if alice.email.startswith("a") else alice.email.upper()
    cyrillic = "\u0430" + alice.email[1:]
    taken = await gateway.post(
        "/api/auth/register",
        json={"username": unique("twin"), "email": fullwidth, "password": PASSWORD},
    )
    mixed = await gateway.post(
        "/api/auth/register",
        json={"username": unique("twin"), "email": cyrillic, "password": PASSWORD},
    )

    assert taken.status_code == 409
    assert mixed.status_code == 422
    async with auth_db.connect() as conn:
        twins = await conn.scalar(text("SELECT count(*) FROM users WHERE username LIKE 'twin%'"))
    assert twins == 0
