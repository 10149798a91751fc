"""More than one of everything (the scaled compose variant: ``make e2e-compose-airgapped-scaled``,
deploy/compose.scaled.yml): run only when the stack is scaled (``E2E_SCALED=1``).

Which replica answered is read from each replica's own ``/metrics`` (asked inside its container).
The load goes through both gateways as a load balancer would (``inkwell_e2e.replicas.Gateways``).
"""

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest

from inkwell_devstack.config import find_root
from inkwell_e2e.flows import PASSWORD, User
from inkwell_e2e.replicas import Containers, Gateways, Load, requests_served, run_load
from inkwell_e2e.systems import System, wait_until_ready

pytestmark = pytest.mark.anyio

CONTENT_PORT = 8002
AUTH_PORT = 8001
PORTS = {"auth": 8001, "content": 8002, "preferences": 8003, "media": 8004, "weather": 8005}
WORKERS = 6


@pytest.fixture(scope="module")
def containers(system: System) -> Containers:
    if not system.scaled or not system.compose_command:
        pytest.skip("the stack is not scaled (E2E_SCALED=1: make e2e-compose-airgapped-scaled)")
    return Containers(system.compose_command, find_root())


@pytest.fixture
async def gateways(system: System) -> AsyncIterator[Gateways]:
    assert len(system.gateway_urls) == 2, system.gateway_urls
    async with Gateways(system.gateway_urls) as running:
        yield running


async def test_each_content_replica_serves_a_fair_share_of_300_requests(
    containers: Containers, gateways: Gateways
) -> None:
    replicas = containers.of("content")
    assert len(replicas) == 3

    def served() -> list[int]:
        return [
            requests_served(containers.metrics(c, CONTENT_PORT), "GET", "/api/posts")
            for c in replicas
        ]

    before = served()
    for _ in range(300):
        assert (await gateways.request("GET", "/api/posts")).status_code == 200
    shares = [after - was for after, was in zip(served(), before, strict=True)]
    print(f"\n300 GET /api/posts over 3 content replicas: {shares}")
    assert sum(shares) >= 300  # (the gateways' own readiness probes ask /readyz, not this)
    assert all(share >= 0.2 * 300 for share in shares), shares


async def test_tokens_from_either_auth_replica_verify_everywhere(
    containers: Containers, gateways: Gateways, alice: User
) -> None:
    replicas = containers.of("auth")
    assert len(replicas) == 2

    def logins() -> list[int]:
        return [
            requests_served(containers.metrics(c, AUTH_PORT), "POST", "/api/auth/token")
            for c in replicas
        ]

    before = logins()
    tokens = []
    for _ in range(8):
        answer = await gateways.request(
            "POST", "/api/auth/token", data={"username": alice.username, "password": PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        tokens.append(answer.json()["access_token"])
    issued = [after - was for after, was in zip(logins(), before, strict=True)]
    assert all(count >= 1 for count in issued), issued  # both replicas signed some
    for token in tokens:
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(2):  # round robin: each auth replica checks it
            me = await gateways.request("GET", "/api/users/me", headers=headers)
            assert me.status_code == 200, me.text
        post = await gateways.request(
            "POST", "/api/posts", json={"title": "signed", "content": "x"}, headers=headers
        )
        assert post.status_code == 201, post.text
        prefs = await gateways.request("GET", "/api/users/me/preferences", headers=headers)
        assert prefs.status_code in (200, 404), prefs.text  # verified: not 401


@pytest.fixture
def login_limit(system: System, containers: Containers, alice: User) -> Iterator[str]:
    """Both gateways recreated with a login limit (the e2e settings switch it off), then back;
    after alice logged in (her login is not counted)."""
    root = find_root()
    command = [*system.compose_command, "up", "--detach", "--wait", "--no-deps", "gateway"]

    def recreate(limit: str) -> None:
        env = {**os.environ, "LOGIN_RATE_LIMIT": limit}  # the shell wins over deploy/e2e.env
        subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
        for url in system.gateway_urls:
            wait_until_ready(url)

    recreate("5/minute")
    yield "5/minute"
    recreate("off")


async def test_the_login_limit_holds_across_both_gateways(
    login_limit: str, gateways: Gateways, alice: User
) -> None:
    """5 attempts a minute per client: counted once in Redis, whichever gateway takes them
    (in each gateway's memory, two gateways would allow 10)."""
    codes = []
    for _ in range(10):
        answer = await gateways.request(
            "POST", "/api/auth/token", data={"username": alice.username, "password": "wrong"}
        )
        codes.append(answer.status_code)
    assert codes[:5] == [401] * 5
    assert codes[5:] == [429] * 5


async def run_during(gateways: Gateways, user: User, action: Callable[[], Awaitable[None]]) -> Load:
    """Run the load while ``action()`` (a coroutine function) runs, plus a little after."""
    stop = asyncio.Event()
    load_task = asyncio.create_task(run_load(gateways, user.headers, stop, workers=WORKERS))
    try:
        await asyncio.sleep(2)  # the load is going
        await action()
        await asyncio.sleep(2)
    finally:
        stop.set()
    return await load_task


async def assert_every_acknowledged_post_is_there(gateways: Gateways, load: Load) -> None:
    missing = []
    for post_id in load.acknowledged:
        if (await gateways.request("GET", f"/api/posts/{post_id}")).status_code != 200:
            missing.append(post_id)
    assert missing == [], f"{len(missing)} acknowledged posts lost"


async def test_killing_a_content_replica_under_load_fails_only_requests_in_flight(
    containers: Containers, gateways: Gateways, alice: User
) -> None:
    victim = containers.of("content")[0]

    async def kill() -> None:
        # SIGKILL: no drain, the requests in flight are cut
        await asyncio.to_thread(containers.docker, "kill", victim)
        await asyncio.sleep(8)  # requests keep coming while it is gone

    try:
        load = await run_during(gateways, alice, kill)
    finally:
        await asyncio.to_thread(containers.docker, "start", victim)
        await containers.wait_healthy(victim)
    print(f"\nkilled {victim[:12]} under load: {dict(load.outcomes)}, failures: {load.failures}")
    assert load.total > 50
    # at most one request per worker can have been in flight at the kill
    assert len(load.failures) <= WORKERS, load.failures
    await assert_every_acknowledged_post_is_there(gateways, load)


async def test_a_rolling_restart_of_every_service_under_load_fails_nothing(
    containers: Containers, gateways: Gateways, alice: User
) -> None:
    """Each replica of each service restarted in turn (``docker restart``: SIGTERM, the drain,
    in-flight requests finish, then it starts), the next once it is healthy again."""
    restarted: list[str] = []

    async def roll() -> None:
        for service in (*PORTS, "gateway"):
            replicas = containers.of(service)
            assert len(replicas) >= 2, f"{service}: one replica cannot restart without a gap"
            for container in replicas:
                # (in a thread: the load goes on meanwhile)
                await asyncio.to_thread(containers.docker, "restart", "--time", "40", container)
                await containers.wait_healthy(container)
                restarted.append(f"{service}:{container[:12]}")

    load = await run_during(gateways, alice, roll)
    print(f"\nrolling restart of {restarted}: {dict(load.outcomes)}")
    assert load.failures == []
    assert load.total > 100
    await assert_every_acknowledged_post_is_there(gateways, load)
    async with httpx.AsyncClient(timeout=10) as client:
        for url in gateways.urls:
            assert (await client.get(f"{url}/readyz")).status_code == 200
