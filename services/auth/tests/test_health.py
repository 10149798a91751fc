import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from auth_service.core.config import AuthSettings
from auth_service.main import create_app
from inkwell_testing.apps import served

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("database_url", "status", "state"),
    [
        (None, 200, "up"),  # the test database, through the real lifespan
        ("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere", 503, "down"),
    ],
)
async def test_readyz_checks_the_database(
    engine: AsyncEngine, database_url: str | None, status: int, state: str
) -> None:
    url = database_url or engine.url.render_as_string(hide_password=False)
    app = create_app(
        AuthSettings(environment="test", database_url=url, readiness_timeout_seconds=2)
    )

    async with served(app) as client:
        response = await client.get("/readyz")

    assert response.status_code == status
    assert response.json()["checks"] == {"database": state}
