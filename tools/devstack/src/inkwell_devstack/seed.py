"""``make seed``: demo users, posts, pictures and preferences, through the public API only.

    python -m inkwell_devstack.seed [--url http://127.0.0.1:8000]

Safe to run twice: a user who exists is logged in, and posts, a picture and preferences are
only added where that user has none. The admin is an admin because auth grants the role to
``BOOTSTRAP_ADMIN_EMAILS`` at registration (``make dev`` lists :data:`ADMIN_EMAIL` there
unless you set the variable yourself); the seed says so when it did not happen.
"""

import argparse
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from inkwell_devstack.config import SEED_ADMIN_EMAIL as ADMIN_EMAIL

DEMO_PASSWORD = "inkwell-demo-password"


@dataclass(frozen=True)
class DemoUser:
    username: str
    email: str
    city: str
    units: str
    colour: tuple[int, int, int]
    posts: tuple[tuple[str, str], ...]


USERS = (
    DemoUser(
        "ada",
        ADMIN_EMAIL,
        "London",
        "metric",
        (26, 79, 181),
        (
            ("Welcome to Inkwell", "Inkwell is a small blogging platform. This post was seeded."),
            ("Moderation notes", "As the admin I can list every account at /api/admin/users."),
        ),
    ),
    DemoUser(
        "grace",
        "grace@example.com",
        "Paris",
        "metric",
        (20, 98, 47),
        (
            ("Notes from Paris", "Clear skies and a good compiler."),
            ("On debugging", "The first bug was a moth. The rest were mine."),
            ("Bread", "A bakery on every corner; a test on every branch."),
        ),
    ),
    DemoUser(
        "linus",
        "linus@example.com",
        "Oslo",
        "imperial",
        (164, 22, 26),
        (
            ("Imperial units, on purpose", "My weather is in °F and mph; yours can be too."),
            ("Small patches", "Small commits, each with a reason."),
        ),
    ),
)


def picture(colour: tuple[int, int, int], letter: str) -> bytes:
    """A 256 by 256 PNG: a disc in ``colour`` with the user's initial."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (256, 256), (245, 245, 248))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 248, 248), fill=colour)
    draw.text((128, 128), letter.upper(), fill=(255, 255, 255), anchor="mm", font_size=140)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _check(response: httpx.Response, *ok: int) -> httpx.Response:
    if response.status_code not in ok:
        raise SystemExit(
            f"seed: {response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text}"
        )
    return response


def seed_user(api: httpx.Client, user: DemoUser, out: list[str]) -> None:
    body = {"username": user.username, "email": user.email, "password": DEMO_PASSWORD}
    created = _check(api.post("/api/auth/register", json=body), 201, 409).status_code == 201
    login = {"username": user.username, "password": DEMO_PASSWORD}
    token = _check(api.post("/api/auth/login", json=login), 200).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    me = _check(api.get("/api/users/me", headers=auth), 200).json()

    mine = _check(api.get(f"/api/users/{me['id']}/posts", params={"limit": 1}), 200).json()
    added = 0
    if not mine["items"]:
        for title, content in user.posts:
            post = {"title": title, "content": content}
            _check(api.post("/api/posts", json=post, headers=auth), 201)
            added += 1
    if api.get(f"/api/users/{me['id']}/profile-picture").status_code == 404:
        png = picture(user.colour, user.username[0])
        files = {"file": (f"{user.username}.png", png, "image/png")}
        _check(api.put("/api/users/me/profile-picture", files=files, headers=auth), 200)
    prefs = api.get("/api/users/me/preferences", headers=auth)
    if prefs.status_code == 404:
        chosen = {"city": user.city, "units": user.units}
        _check(api.put("/api/users/me/preferences", json=chosen, headers=auth), 200)
    roles = ", ".join(me["roles"])
    out.append(
        f"  {user.username:<6} {user.email:<20} {'new' if created else 'existing':<8} "
        f"roles: {roles:<12} posts added: {added}"
    )
    if user.email == ADMIN_EMAIL and "admin" not in me["roles"]:
        out.append(
            f"  ! {user.username} is not an admin: start auth with "
            f"BOOTSTRAP_ADMIN_EMAILS='[\"{ADMIN_EMAIL}\"]' before the first seed"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inkwell_devstack.seed", description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the gateway's address")
    args = parser.parse_args(argv)
    out = [f"seed: demo data at {args.url} (password for every user: {DEMO_PASSWORD})"]
    try:
        with httpx.Client(base_url=args.url, timeout=30.0) as api:
            for user in USERS:
                seed_user(api, user, out)
    except httpx.HTTPError as exc:
        print(f"seed: cannot reach {args.url}: {exc} (is `make dev` running?)", file=sys.stderr)
        return 1
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
