"""The weather stub answers like wttr.in's ``format=j1`` and fails on request (in process)."""

from collections.abc import AsyncIterator

import httpx
import pytest

from inkwell_devstack.stubs.weather import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture
async def stub() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://stub") as client:
        yield client


async def test_a_known_city_has_its_fixed_answer(stub: httpx.AsyncClient) -> None:
    answer = await stub.get("/London", params={"format": "j1"})
    assert answer.status_code == 200
    current = answer.json()["current_condition"][0]
    assert (current["weatherDesc"][0]["value"], current["temp_C"]) == ("Partly cloudy", "12")


@pytest.mark.parametrize(
    ("city", "status"),
    [("Nowhere Land", 404), ("errorville", 500), ("Somewhere Else", 200)],
)
async def test_the_name_picks_the_answer(stub: httpx.AsyncClient, city: str, status: int) -> None:
    assert (await stub.get(f"/{city}", params={"format": "j1"})).status_code == status


async def test_garbage_is_not_json(stub: httpx.AsyncClient) -> None:
    answer = await stub.get("/Garbage City")
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()


async def test_calls_are_counted_per_city(stub: httpx.AsyncClient) -> None:
    await stub.get("/Paris")
    await stub.get("/paris")
    await stub.get("/Oslo")
    assert (await stub.get("/_stub/calls")).json() == {"paris": 2, "oslo": 1}
