"""The gateway as the one public door: readiness of everything, docs, ids, unknown paths."""

import httpx
import pytest

from contracts.registry import REGISTRY

pytestmark = pytest.mark.anyio

SERVICES = REGISTRY.names


async def test_readyz_reports_every_service_up(gateway: httpx.AsyncClient) -> None:
    answer = await gateway.get("/readyz")
    assert answer.status_code == 200
    body = answer.json()
    # weather is degraded (still 200) while the provider's last calls failed (test_faults)
    weather = body["services"]["weather"]
    assert weather in {"up", "degraded"}
    assert body["services"] == {**dict.fromkeys(SERVICES, "up"), "weather": weather}
    assert body["status"] == ("ready" if weather == "up" else "degraded")


async def test_docs_cover_every_service(gateway: httpx.AsyncClient) -> None:
    """One Swagger UI over the merged OpenAPI: a path of each service is in it."""
    docs = await gateway.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    paths = (await gateway.get("/openapi.json")).json()["paths"]
    for path in (
        "/api/auth/token",
        "/api/posts",
        "/api/users/me/preferences",
        "/api/users/me/profile-picture",
        "/api/weather/{city}",
    ):
        assert path in paths


async def test_request_id_is_echoed(gateway: httpx.AsyncClient) -> None:
    answer = await gateway.get("/api/posts", headers={"X-Request-ID": "e2e-trace-0001"})
    assert answer.status_code == 200
    assert answer.headers["x-request-id"] == "e2e-trace-0001"


async def test_unknown_path_is_a_json_404(gateway: httpx.AsyncClient) -> None:
    answer = await gateway.get("/api/nothing-here")
    assert answer.status_code == 404
    assert isinstance(answer.json()["detail"], str)
