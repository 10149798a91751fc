import pytest

from content_service.core.config import ContentSettings
from content_service.main import create_app
from inkwell_testing.apps import served
from inkwell_testing.tokens import TestSigner

pytestmark = pytest.mark.anyio

UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"


@pytest.mark.parametrize(
    ("database_url", "status", "state"),
    [
        (None, 200, "up"),  # the test database, through the real lifespan
        (UNREACHABLE, 503, "down"),
    ],
)
async def test_readyz_checks_the_database(
    settings: ContentSettings, signer: TestSigner, database_url: str | None, status: int, state: str
) -> None:
    configured = settings.model_copy(update={"database_url": database_url or settings.database_url})
    app = create_app(configured, token_verifier=signer.verifier())

    async with served(app) as client:
        response = await client.get("/readyz")

    assert response.status_code == status
    assert response.json()["checks"] == {"database": state}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", "/api/posts", None), ("POST", "/api/posts", {"title": "t", "content": "c"})],
    ids=["read", "write"],
)
async def test_database_down_is_503_not_500(
    settings: ContentSettings,
    signer: TestSigner,
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    """A dependency outage is the client's 503 (retry later), never a 500 (our bug)."""
    down = settings.model_copy(update={"database_url": UNREACHABLE})
    app = create_app(down, token_verifier=signer.verifier())

    async with served(app) as client:
        response = await client.request(method, path, json=body, headers=signer.bearer())

    assert response.status_code == 503
    assert response.json() == {"detail": "Database unavailable"}
