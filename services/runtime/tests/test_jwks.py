"""The remote key source, against auth's JWKS mocked with respx and a controllable clock."""

import httpx
import pytest
import respx

from inkwell_runtime.jwks import RemoteJWKS
from inkwell_runtime.jwt import SigningKey
from inkwell_testing.tokens import TestSigner

pytestmark = pytest.mark.anyio

URL = "http://auth.test/api/auth/jwks.json"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def source(clock: Clock):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient() as client:
        yield RemoteJWKS(URL, client, cache_seconds=300, min_refresh_seconds=5, clock=clock)


@respx.mock
async def test_keys_are_fetched_once_and_cached(
    source: RemoteJWKS, signer: TestSigner, clock: Clock
) -> None:
    route = respx.get(URL).respond(json=signer.key.jwks())

    first = await source.get_key(signer.key.kid)
    clock.now += 299
    second = await source.get_key(signer.key.kid)

    assert first == second == signer.key.public_jwk
    assert route.call_count == 1


@respx.mock
async def test_cache_expires(source: RemoteJWKS, signer: TestSigner, clock: Clock) -> None:
    route = respx.get(URL).respond(json=signer.key.jwks())

    await source.get_key(signer.key.kid)
    clock.now += 300
    await source.get_key(signer.key.kid)

    assert route.call_count == 2


@respx.mock
async def test_unknown_kid_refreshes_at_most_once_per_interval(
    source: RemoteJWKS, signer: TestSigner, clock: Clock
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
    clock.now += 5
    assert await source.get_key(rotated.kid) == rotated.public_jwk  # auth rotated: refreshed
    assert await source.get_key("forged") is None
    assert route.call_count == 2


@respx.mock
async def test_auth_down_raises_http_error(source: RemoteJWKS) -> None:
    respx.get(URL).mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(httpx.ConnectError):
        await source.get_key("any")
