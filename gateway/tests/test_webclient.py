"""The web client's files: its page at ``/`` and ``/reset-password``, its scripts under
``/ui/``, from the gateway itself (no service is asked, nothing comes from another host)."""

import re

import pytest
from httpx import AsyncClient

from .conftest import Services

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("path", ["/", "/reset-password?token=abc"])
async def test_the_page_and_its_assets_come_from_the_gateway(
    client: AsyncClient, services: Services, path: str
) -> None:
    routes = [fake.on_any(json={}) for fake in services.values()]
    page = await client.get(path)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["referrer-policy"] == "no-referrer"  # the reset link's token stays here
    assets = re.findall(r'(?:src|href)="(/ui/[^"]+)"', page.text)
    assert sorted(assets) == ["/ui/app.css", "/ui/app.js"]
    for asset in assets:
        answer = await client.get(asset)
        assert answer.status_code == 200, asset
        assert "http://" not in answer.text and "https://" not in answer.text, asset
    assert not any(route.called for route in routes)


async def test_no_file_outside_the_client_folder_is_served(client: AsyncClient) -> None:
    assert (await client.get("/ui/../webclient.py")).status_code == 404
    assert (await client.get("/ui/%2e%2e/webclient.py")).status_code == 404
    assert (await client.get("/ui/nothing.js")).status_code == 404


async def test_the_api_still_belongs_to_the_services(
    client: AsyncClient, services: Services
) -> None:
    route = services["content"].on_any(json={"items": [], "next_cursor": None})

    response = await client.get("/api/posts")

    assert response.status_code == 200 and route.called
