"""Every /me route needs a valid token; the public route needs none."""

import pytest
from httpx import AsyncClient

from inkwell_testing.tokens import TestSigner

pytestmark = pytest.mark.anyio

OWN = "/api/users/me/profile-picture"
ROUTES = [("PUT", OWN), ("GET", OWN), ("DELETE", OWN)]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_no_token_is_401(
    client: AsyncClient, bucket, png: bytes, method: str, path: str
) -> None:
    files = {"file": ("me.png", png, "image/png")} if method == "PUT" else None

    response = await client.request(method, path, files=files)

    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert bucket.keys() == []


@pytest.fixture(scope="module")
def forged_token(signer: TestSigner) -> str:
    """Signed by a key the service does not trust (the runtime's suite covers every forgery)."""
    return signer.foreign()


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_an_invalid_token_is_401(
    client: AsyncClient, bucket, forged_token: str, png: bytes, method: str, path: str
) -> None:
    token = forged_token
    files = {"file": ("me.png", png, "image/png")} if method == "PUT" else None

    response = await client.request(
        method, path, files=files, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials"}
    assert bucket.keys() == []
