"""``make seed`` against the running system: everything it makes is there through the API,
and a second run adds nothing."""

import io

import httpx
import pytest
from PIL import Image

from inkwell_devstack import seed
from inkwell_e2e.systems import System


def test_seed_fills_the_system_through_the_api_and_runs_twice_safely(
    system: System, capsys: pytest.CaptureFixture[str]
) -> None:
    assert seed.main(["--url", system.gateway_url]) == 0
    first = capsys.readouterr().out
    assert seed.main(["--url", system.gateway_url]) == 0
    second = capsys.readouterr().out
    assert "posts added: 0" in second and "new " not in second, second

    with httpx.Client(base_url=system.gateway_url, timeout=20.0) as api:
        for user in seed.USERS:
            login = {"username": user.username, "password": seed.DEMO_PASSWORD}
            token = api.post("/api/auth/login", json=login).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            me = api.get("/api/users/me", headers=auth).json()
            posts = api.get(f"/api/users/{me['id']}/posts").json()
            assert sorted(p["title"] for p in posts["items"]) == sorted(t for t, _ in user.posts)
            picture = api.get(f"/api/users/{me['id']}/profile-picture")
            assert Image.open(io.BytesIO(picture.content)).size == (256, 256)
            prefs = api.get("/api/users/me/preferences", headers=auth).json()
            assert (prefs["city"], prefs["units"]) == (user.city, user.units)
            if user.email == seed.ADMIN_EMAIL and system.kind == "local":
                assert "admin" in me["roles"], first
                assert api.get("/api/admin/users", headers=auth).status_code == 200
