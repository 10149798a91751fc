import pytest
from asgi_lifespan import LifespanManager
from httpx import ASGITransport, AsyncClient

from content_service.core.config import ContentSettings
from content_service.main import create_app

pytestmark = pytest.mark.anyio


async def test_healthz(client: AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("database_url", "status", "state"),
    [
        (None, 200, "up"),  # the test database, through the real lifespan
        ("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere", 503, "down"),
    ],
)
async def test_readyz_checks_the_database(
    settings: ContentSettings, database_url: str | None, status: int, state: str
) -> None:
    configured = settings.model_copy(update={"database_url": database_url or settings.database_url})
    app = create_app(configured)

    async with (
        LifespanManager(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client,
    ):
        response = await client.get("/readyz")

    assert response.status_code == status
    assert response.json()["checks"] == {"database": state}


async def test_unknown_path_is_json_404(client: AsyncClient) -> None:
    response = await client.get("/nope")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


async def test_request_id_is_taken_and_echoed(client: AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "trace-123"})

    assert response.headers["X-Request-ID"] == "trace-123"
