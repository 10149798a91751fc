"""The remote key source, against auth's JWKS mocked with respx, time moved with time-machine."""

import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx
import time_machine

from inkwell_runtime.jwks import RemoteJWKS
from inkwell_runtime.jwt import SigningKey
from inkwell_testing.tokens import TestSigner

pytestmark = pytest.mark.anyio

URL = "http://auth.test/api/auth/jwks.json"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(time.time(), tick=False) as traveller:
        yield traveller


@pytest.fixture
async def source(clock: time_machine.Traveller) -> AsyncIterator[RemoteJWKS]:
    async with httpx.AsyncClient() as client:
        yield RemoteJWKS(URL, client, cache_seconds=300, min_refresh_seconds=5)


@respx.mock
async def test_keys_are_fetched_once_and_cached(
    source: RemoteJWKS, signer: TestSigner, clock: time_machine.Traveller
) -> None:
    route = respx.get(URL).respond(json=signer.key.jwks())

    first = await source.get_key(signer.key.kid)
    clock.shift(299)
    second = await source.get_key(signer.key.kid)

    assert first == second == signer.key.public_jwk
    assert route.call_count == 1


@respx.mock
async def test_cache_expires(
    source: RemoteJWKS, signer: TestSigner, clock: time_machine.Traveller
) -> None:
    route = respx.get(URL).respond(json=signer.key.jwks())

    await source.get_key(signer.key.kid)
    clock.shift(300)
    await source.get_key(signer.key.kid)

    assert route.call_count == 2


@respx.mock
async def test_unknown_kid_refreshes_at_most_once_per_interval(
    source: RemoteJWKS, signer: TestSigner, clock: time_machine.Traveller
) -> None:
    rotated = SigningKey.generate()
    route = respx.get(URL).mock(
        side_effect=[
            httpx.Response(200, json=signer.key.jwks()),
            httpx.Response(200, json={"keys": [signer.key.public_jwk, rotated.public_jwk]}),
        ]
    )
    await source.get_key(signer.key.kid)

    assert await source.get_key(rotated.kid) is None  # within the refresh interval: no request
    clock.shift(5)
    assert await source.get_key(rotated.kid) == rotated.public_jwk  # auth rotated: refreshed
    assert await source.get_key("forged") is None
    assert route.call_count == 2


@respx.mock
async def test_auth_down_raises_http_error(source: RemoteJWKS) -> None:
    respx.get(URL).mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(httpx.ConnectError):
        await source.get_key("any")


@respx.mock
async def test_keys_once_fetched_outlive_an_outage_of_auth(
    source: RemoteJWKS, signer: TestSigner, clock: time_machine.Traveller
) -> None:
    """Stale keys and auth down: the known keys keep serving (no 503 everywhere while auth
    is away), and auth is asked again only once per refresh interval."""
    route = respx.get(URL).respond(json=signer.key.jwks())
    await source.get_key(signer.key.kid)
    route.mock(side_effect=httpx.ConnectError("refused"))
    clock.shift(300)

    assert await source.get_key(signer.key.kid) == signer.key.public_jwk  # tried, failed
    assert await source.get_key(signer.key.kid) == signer.key.public_jwk  # not asked again
    assert route.call_count == 2
    clock.shift(5)
    route.mock(side_effect=None, return_value=httpx.Response(200, json={"keys": []}))
    assert await source.get_key(signer.key.kid) is None  # auth is back, the key retired
    assert route.call_count == 3


@respx.mock
async def test_ensure_loaded_fetches_only_the_first_time(
    source: RemoteJWKS, signer: TestSigner
) -> None:
    route = respx.get(URL).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(httpx.ConnectError):
        await source.ensure_loaded()
    assert not source.loaded
    route.mock(side_effect=None, return_value=httpx.Response(200, json=signer.key.jwks()))

    await source.ensure_loaded()
    await source.ensure_loaded()

    assert source.loaded
    assert route.call_count == 2
