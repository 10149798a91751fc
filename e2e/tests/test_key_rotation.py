"""Auth's key rotation through the whole running system (docs/auth-keys.md), on the local stack:
auth is restarted with each step's key set, and every token issued so far keeps verifying at
auth (``/api/users/me``) and at content (``POST /api/posts``, over auth's JWKS) at every step.

Step 1's wait for the JWKS caches is stood in for by restarting content (a fresh cache); step 3
(after the longest token lifetime) is checked for the new key's tokens only: the old key's have
not expired yet in a test's time.
"""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from jose import jwt

from inkwell_devstack.stack import Supervisor
from inkwell_e2e.flows import User
from inkwell_e2e.systems import System
from inkwell_runtime.jwt import SigningKey

pytestmark = pytest.mark.anyio


@pytest.fixture
def supervisor(system: System) -> Iterator[Supervisor]:
    if system.supervisor is None:
        pytest.skip(f"E2E_STACK={system.kind}: auth's settings cannot be changed from here")
    if system.cognito:
        pytest.skip("E2E_COGNITO: users' tokens are the Cognito pool's, not signed by auth's keys")
    auth = system.supervisor.children["auth"]
    saved = dict(auth.env)
    yield system.supervisor
    system.supervisor.stop("auth")
    auth.env.clear()
    auth.env.update(saved)
    system.supervisor.restart("auth")


def restart_with(supervisor: Supervisor, name: str, **env: str | None) -> None:
    child = supervisor.children[name]
    supervisor.stop(name)
    for key, value in env.items():
        if value is None:
            child.env.pop(key, None)
        else:
            child.env[key] = value
    supervisor.restart(name)


async def login(gateway: httpx.AsyncClient, user: User) -> str:
    answer = await gateway.post(
        "/api/auth/token", data={"username": user.username, "password": user.password}
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


async def verified_everywhere(gateway: httpx.AsyncClient, tokens: list[str]) -> list[int]:
    """Each token's statuses at auth and at content (200, 201 when it verifies)."""
    codes = []
    for token in tokens:
        headers = {"Authorization": f"Bearer {token}"}
        codes.append((await gateway.get("/api/users/me", headers=headers)).status_code)
        post = await gateway.post(
            "/api/posts", json={"title": "rotation", "content": "x"}, headers=headers
        )
        codes.append(post.status_code)
    return codes


async def test_tokens_keep_verifying_through_a_key_rotation(
    gateway: httpx.AsyncClient, supervisor: Supervisor, alice: User, tmp_path: Path
) -> None:
    old = SigningKey(supervisor.children["auth"].env["JWT_PRIVATE_KEY"])
    keys = tmp_path / "auth-keys"
    keys.mkdir()
    (keys / "2026-12.pem").write_text(SigningKey.generate().private_pem)
    tokens = [alice.token]
    assert jwt.get_unverified_header(alice.token)["kid"] == old.kid

    # 1. publish the new key, the old one still signing
    restart_with(supervisor, "auth", JWT_KEYS_DIR=str(keys), JWT_SIGNING_KID=old.kid)
    restart_with(supervisor, "content")  # its JWKS cache as after JWKS_CACHE_SECONDS
    tokens.append(await login(gateway, alice))
    assert jwt.get_unverified_header(tokens[-1])["kid"] == old.kid
    assert await verified_everywhere(gateway, tokens) == [200, 201] * len(tokens)

    # 2. sign with the new key: old and new tokens verify everywhere, at once
    restart_with(supervisor, "auth", JWT_SIGNING_KID="2026-12")
    tokens.append(await login(gateway, alice))
    assert jwt.get_unverified_header(tokens[-1])["kid"] == "2026-12"
    assert await verified_everywhere(gateway, tokens) == [200, 201] * len(tokens)

    # 3. retire the old key: the new key's tokens still verify
    restart_with(supervisor, "auth", JWT_PRIVATE_KEY=None, JWT_SIGNING_KID=None)
    jwks = (await gateway.get("/api/auth/jwks.json")).json()
    assert [key["kid"] for key in jwks["keys"]] == ["2026-12"]
    tokens = [tokens[-1], await login(gateway, alice)]
    assert await verified_everywhere(gateway, tokens) == [200, 201] * len(tokens)
