"""The app around the routes: readiness and the pooled clients' lifecycle."""

import httpx
import pytest
import respx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import AsyncClient

from inkwell_testing.apps import served
from inkwell_testing.tokens import TestSigner
from weather_service.core.config import WeatherSettings
from weather_service.main import create_app

from .conftest import PREFERENCES_URL, WEATHER_API, answer, j1

pytestmark = pytest.mark.anyio


async def test_readyz_does_not_depend_on_the_provider_or_preferences(
    client: AsyncClient, respx_mock: respx.MockRouter
) -> None:
    """Both are soft dependencies: an outage is answered per request, the pod stays in rotation."""
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert respx_mock.calls.call_count == 0


async def test_the_lifespan_opens_one_pooled_client_per_peer_and_closes_them(
    app: FastAPI, settings: WeatherSettings
) -> None:
    async with LifespanManager(app):
        upstream = app.state.weather.client
        peers = app.state.preferences.client
        assert upstream.base_url == httpx.URL(WEATHER_API)
        assert upstream.timeout == httpx.Timeout(settings.weather_timeout_seconds)
        assert peers.base_url == httpx.URL(PREFERENCES_URL)
        assert peers.timeout == httpx.Timeout(settings.preferences_timeout_seconds)
        assert not upstream.is_closed

    assert upstream.is_closed and peers.is_closed


async def test_injected_clients_are_used_and_left_open(
    settings: WeatherSettings, signer: TestSigner, respx_mock: respx.MockRouter
) -> None:
    """Tests (or an embedding app) may bring their own clients; their owner closes them."""
    route = respx_mock.get("http://elsewhere.test/Paris").mock(side_effect=answer(json=j1()))
    async with (
        httpx.AsyncClient(base_url="http://elsewhere.test") as weather_client,
        httpx.AsyncClient(base_url=PREFERENCES_URL) as preferences_client,
    ):
        app = create_app(
            settings,
            token_verifier=signer.verifier(),
            weather_client=weather_client,
            preferences_client=preferences_client,
        )
        async with served(app) as client:
            response = await client.get("/api/weather/Paris", headers=signer.bearer())

        assert response.status_code == 200
        assert route.call_count == 1
        assert not weather_client.is_closed and not preferences_client.is_closed
