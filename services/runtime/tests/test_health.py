"""``check_all``: the readiness loop behind every service's ``/readyz`` and the gateway's."""

import asyncio
from collections.abc import Awaitable, Callable

import anyio
import pytest

from inkwell_runtime.health import Degraded, check_all

pytestmark = pytest.mark.anyio

Check = Callable[[], Awaitable[object]]


async def up() -> None:
    return None


async def down() -> None:
    raise ConnectionRefusedError("nothing listens")


async def degraded() -> None:
    raise Degraded("breaker open")


@pytest.mark.parametrize(
    ("checks", "status", "code"),
    [
        ({}, "ready", 200),
        ({"db": up, "s3": up}, "ready", 200),
        ({"db": up, "provider": degraded}, "degraded", 200),
        ({"db": down, "provider": degraded}, "not ready", 503),
        ({"db": up, "s3": down}, "not ready", 503),
    ],
)
async def test_the_worst_check_decides(checks: dict[str, Check], status: str, code: int) -> None:
    found = await check_all(checks, seconds=5)

    assert found.status == status
    assert found.status_code == code
    names: dict[Check, str] = {up: "up", down: "down", degraded: "degraded"}
    assert found.checks == {name: names[check] for name, check in checks.items()}


async def test_a_degraded_check_keeps_its_detail_whatever_its_shape() -> None:
    async def service_details() -> None:
        raise Degraded({"weather_provider": "breaker open"})

    found = await check_all({"sentence": degraded, "weather": service_details}, seconds=5)

    assert found.details == {
        "sentence": "breaker open",
        "weather": {"weather_provider": "breaker open"},
    }


async def test_a_failing_check_is_down_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    found = await check_all({"s3": down}, seconds=5)

    assert found.checks == {"s3": "down"}
    assert found.details == {}
    assert "readiness check s3 failed: ConnectionRefusedError('nothing listens')" in caplog.text


async def test_a_hanging_check_is_down_after_its_seconds() -> None:
    never = asyncio.Event()

    async def hangs() -> None:
        await never.wait()

    with anyio.fail_after(10):
        found = await check_all({"db": up, "mongo": hangs}, seconds=0.2)

    assert found.checks == {"db": "up", "mongo": "down"}
    assert found.status == "not ready"


async def test_checks_run_concurrently() -> None:
    """Each check returns only once all have started: one by one would hang (and be down)."""
    names = ("a", "b", "c")
    started: set[str] = set()
    everyone = asyncio.Event()

    def waits_for_all(name: str) -> Check:
        async def check() -> None:
            started.add(name)
            if started == set(names):
                everyone.set()
            await everyone.wait()

        return check

    found = await check_all({name: waits_for_all(name) for name in names}, seconds=5)

    assert found.checks == dict.fromkeys(names, "up")
