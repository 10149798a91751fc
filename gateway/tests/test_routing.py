"""The route table: each public path reaches the service that owns it; nothing else is routed."""

import pytest
from httpx import AsyncClient

from gateway.routing import ROUTES, RouteTable

from .conftest import Services

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/api/users/me/preferences", "preferences"),
        ("/api/users/me/profile-picture", "media"),
        ("/api/users/42/profile-picture", "media"),
        ("/api/users/42/posts", "content"),
        ("/api/users/me", "auth"),
        ("/api/users/42", "auth"),
        ("/api/auth/token", "auth"),
        ("/api/auth/jwks.json", "auth"),
        ("/api/admin/users", "auth"),
        ("/api/posts", "content"),
        ("/api/posts/7", "content"),
        ("/api/weather/me", "weather"),
        ("/api/weather/Lisbon", "weather"),
    ],
)
async def test_public_paths_reach_their_service(
    client: AsyncClient, services: Services, path: str, service: str
) -> None:
    for name, fake in services.items():
        fake.on_any(json={"service": name})

    response = await client.get(path, params={"page": "2"})

    assert response.status_code == 200
    assert response.json() == {"service": service}
    [forwarded] = services[service].calls  # and no other service was called
    assert forwarded.path == path
    assert forwarded.query == "page=2"


@pytest.mark.parametrize(
    "path",
    [
        "/api/unknown",
        "/api",
        "/api/users",
        "/api/users/",
        "/api/users/a/b/c",
        "/api/users/42/preferences",  # only the caller's own preferences are public
        "/api/postsfoo",
        "/api/weather",
        "/internal",
        "/api/posts/%2e%2e/users/me",  # a dot segment, once decoded
    ],
)
async def test_everything_else_is_a_json_404_that_reaches_no_service(
    client: AsyncClient, services: Services, path: str
) -> None:
    routes = [fake.on_any(json={}) for fake in services.values()]

    response = await client.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
    assert not any(route.called for route in routes)


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
async def test_services_health_endpoints_are_not_public(path: str) -> None:
    """``/healthz`` and ``/readyz`` are the gateway's own; the table never forwards them."""
    assert RouteTable().resolve(path) is None


@pytest.mark.parametrize("path", ["/api/auth/../admin/users", "/api/posts/./7", "/api/weather/.."])
def test_dot_segments_are_never_routed(path: str) -> None:
    assert RouteTable().resolve(path) is None


def test_most_specific_routes_come_first() -> None:
    """No route is shadowed by one before it: each route's own example reaches it."""
    table = RouteTable()
    for route in ROUTES:
        example = route.pattern.replace("{user_id}", "me").replace("{rest:path}", "x")
        assert table.route_for(example) == route
