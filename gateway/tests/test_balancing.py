"""Balancing: each request to a service goes to the next address of its name (three replicas
on 127.0.0.1-3, one port, one name that a fixed resolver answers)."""

import socket
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import RawTestServer
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from gateway.balancing import Balancer
from gateway.core.config import GatewaySettings
from gateway.main import create_app

from .conftest import gateway_client

pytestmark = pytest.mark.anyio
NAME = "content.test"
ADDRESSES = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]


class FixedResolver(AbstractResolver):
    """DNS for the test: a name → the addresses it has now (tests change them)."""

    def __init__(self, addresses: list[str]) -> None:
        self.addresses = addresses
        self.lookups = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups += 1
        if host != NAME or not self.addresses:
            raise OSError(f"no address for {host}")
        return [
            ResolveResult(hostname=host, host=a, port=port, family=socket.AF_INET, proto=0, flags=0)
            for a in self.addresses
        ]

    async def close(self) -> None:
        pass


class Replica:
    def __init__(
        self,
        address: str,
        port: int,
        served: Counter[str],
        hosts: set[str],
        *,
        draining: bool = False,
        cut: bool = False,
    ) -> None:
        async def handle(request: web.BaseRequest) -> web.Response:
            served[address] += 1
            if cut:  # killed while handling it: the connection drops, no answer
                assert request.transport is not None
                request.transport.abort()
            hosts.add(request.headers["Host"])
            headers = {"Connection": "close"} if draining else {}
            return web.json_response({"replica": address}, headers=headers)

        self.server = RawTestServer(handle, host=address, port=port)


def common_port() -> int:
    """A port free on every replica address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def replicas() -> AsyncIterator[dict[str, Any]]:
    port = common_port()
    served: Counter[str] = Counter()
    hosts: set[str] = set()
    running = {a: Replica(a, port, served, hosts) for a in ADDRESSES}
    for replica in running.values():
        await replica.server.start_server()
    yield {"port": port, "served": served, "hosts": hosts, "running": running}
    for replica in running.values():
        await replica.server.close()


async def gateway(
    settings: GatewaySettings, port: int, resolver: FixedResolver, **update: Any
) -> FastAPI:
    return create_app(
        settings.model_copy(
            update={
                "content_url": f"http://{NAME}:{port}",
                "gateway_resolve_seconds": 0,
                "gateway_balance": True,
                **update,
            }
        ),
        resolver=resolver,
    )


async def get_posts(app: FastAPI, count: int) -> list[int]:
    codes = []
    async with gateway_client(app) as client:
        for _ in range(count):
            codes.append((await client.get("/api/posts")).status_code)
    return codes


async def test_three_replicas_share_300_requests(
    settings: GatewaySettings, replicas: dict[str, Any]
) -> None:
    app = await gateway(settings, replicas["port"], FixedResolver(list(ADDRESSES)))
    async with LifespanManager(app):
        assert await get_posts(app, 300) == [200] * 300

    served = replicas["served"]
    assert set(served) == set(ADDRESSES)
    assert all(served[a] >= 0.2 * 300 for a in ADDRESSES), served
    # the services still see their own name, not an address
    assert replicas["hosts"] == {f"{NAME}:{replicas['port']}"}


async def test_a_stopped_replica_is_skipped_and_a_new_one_joins(
    settings: GatewaySettings, replicas: dict[str, Any]
) -> None:
    resolver = FixedResolver(list(ADDRESSES))
    app = await gateway(settings, replicas["port"], resolver)
    async with LifespanManager(app):
        await replicas["running"]["127.0.0.2"].server.close()
        replicas["served"].clear()
        # its connections were refused: every request went to the next address instead
        assert await get_posts(app, 30) == [200] * 30
        assert set(replicas["served"]) == {"127.0.0.1", "127.0.0.3"}

        # scaled down (the name no longer has it) and up (a fourth replica)
        extra = Replica("127.0.0.4", replicas["port"], replicas["served"], replicas["hosts"])
        await extra.server.start_server()
        try:
            resolver.addresses = ["127.0.0.1", "127.0.0.3", "127.0.0.4"]
            replicas["served"].clear()
            assert await get_posts(app, 30) == [200] * 30
            assert replicas["served"] == Counter(
                {"127.0.0.1": 10, "127.0.0.3": 10, "127.0.0.4": 10}
            )
        finally:
            await extra.server.close()
    assert resolver.lookups >= 2


async def test_with_balancing_off_the_name_is_used_as_is(
    settings: GatewaySettings, replicas: dict[str, Any]
) -> None:
    resolver = FixedResolver(list(ADDRESSES))
    app = await gateway(settings, replicas["port"], resolver, gateway_balance=False)
    async with LifespanManager(app):
        # nothing resolves content.test outside the balancer: the gateway answers 503
        assert set(await get_posts(app, 2)) == {503}
    assert resolver.lookups == 0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_failed_address_comes_back_after_its_cooldown() -> None:
    clock = Clock()
    balancer = Balancer(
        FixedResolver(list(ADDRESSES)), resolve_seconds=5, cooldown_seconds=10, clock=clock
    )
    addresses = await balancer.addresses(NAME, 80)
    assert addresses == ADDRESSES
    balancer.failed(NAME, 80, "127.0.0.1")
    firsts = [balancer.order(NAME, 80, addresses)[0] for _ in range(6)]
    assert "127.0.0.1" not in firsts  # tried last, while cooling down
    clock.now = 10
    firsts = [balancer.order(NAME, 80, addresses)[0] for _ in range(3)]
    assert sorted(firsts) == ADDRESSES


async def test_a_name_that_stops_resolving_keeps_its_last_addresses() -> None:
    clock = Clock()
    resolver = FixedResolver(list(ADDRESSES))
    balancer = Balancer(resolver, resolve_seconds=5, clock=clock)
    assert await balancer.addresses(NAME, 80) == ADDRESSES
    assert await balancer.addresses("127.0.0.9", 80) == ["127.0.0.9"]  # an address already
    assert await balancer.addresses("elsewhere.test", 80) == ["elsewhere.test"]
    clock.now = 5
    resolver.addresses = []
    assert await balancer.addresses(NAME, 80) == ADDRESSES  # a DNS blip stops nothing


@contextmanager
def silent(address: str, port: int) -> Iterator[None]:
    """An address that takes no connection and refuses none (a stopped container's: packets go
    nowhere): a listener whose accept queue is full, so the kernel drops every new SYN."""
    listener = socket.socket()
    listener.bind((address, port))
    listener.listen(0)
    fillers = []
    try:
        for _ in range(2):  # fill the queue (listen(0) holds one)
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex((address, port))
            fillers.append(filler)
        yield
    finally:
        for each in [*fillers, listener]:
            each.close()


async def test_an_address_that_takes_no_connection_is_skipped_after_the_connect_timeout(
    settings: GatewaySettings, replicas: dict[str, Any]
) -> None:
    resolver = FixedResolver(list(ADDRESSES))
    app = await gateway(
        settings,
        replicas["port"],
        resolver,
        gateway_resolve_seconds=60,  # only a failure makes it resolve again
        gateway_connect_timeout_seconds=0.2,
    )
    async with LifespanManager(app):
        await replicas["running"]["127.0.0.2"].server.close()
        with silent("127.0.0.2", replicas["port"]):
            replicas["served"].clear()
            assert await get_posts(app, 30) == [200] * 30
    assert set(replicas["served"]) == {"127.0.0.1", "127.0.0.3"}
    assert resolver.lookups == 2  # at start, then again after the silent address failed


@asynccontextmanager
async def second_replica_as(replicas: dict[str, Any], **behaviour: bool) -> AsyncIterator[None]:
    """127.0.0.2 replaced by a replica that behaves so (``draining=True``, ``cut=True``)."""
    await replicas["running"]["127.0.0.2"].server.close()
    odd = Replica("127.0.0.2", replicas["port"], replicas["served"], replicas["hosts"], **behaviour)
    await odd.server.start_server()
    try:
        yield
    finally:
        await odd.server.close()
    replicas["served"].clear()


async def test_a_replica_saying_connection_close_gets_no_more_requests_while_it_drains(
    settings: GatewaySettings, replicas: dict[str, Any]
) -> None:
    """A draining replica (``inkwell_runtime.drain``) still answers, with ``Connection: close``:
    after that answer the gateway sends it nothing until the cooldown is over."""
    async with second_replica_as(replicas, draining=True):
        app = await gateway(settings, replicas["port"], FixedResolver(list(ADDRESSES)))
        async with LifespanManager(app):
            replicas["served"].clear()
            assert await get_posts(app, 30) == [200] * 30
            served = dict(replicas["served"])
    assert served["127.0.0.2"] == 1  # its one answer said it is closing
    assert served["127.0.0.1"] + served["127.0.0.3"] == 29


async def test_a_replica_that_cuts_a_request_fails_it_and_is_skipped_after(
    settings: GatewaySettings, replicas: dict[str, Any]
) -> None:
    async with second_replica_as(replicas, cut=True):
        app = await gateway(settings, replicas["port"], FixedResolver(list(ADDRESSES)))
        async with LifespanManager(app), gateway_client(app) as client:
            replicas["served"].clear()
            codes = [(await client.post("/api/posts", json={})).status_code for _ in range(30)]
            cut = replicas["served"]["127.0.0.2"]
    # the one POST it took failed (not retried: it may have been handled); none went after
    assert sorted(codes) == [200] * 29 + [502]
    assert cut == 1


class GoneResolver(FixedResolver):
    """A name that stops resolving: "no such name" (every replica stopped) or a DNS blip."""

    def __init__(self, addresses: list[str], errno: int) -> None:
        super().__init__(addresses)
        self.errno = errno

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if not self.addresses:
            self.lookups += 1
            raise socket.gaierror(self.errno, "no answer")
        return await super().resolve(host, port, family)


async def test_a_name_with_no_address_left_is_not_tried_at_its_old_addresses() -> None:
    """Every replica stopped: the name answers "no such name", so its last addresses are
    dropped (the request fails at once, 503), while a temporary failure keeps them."""
    clock = Clock()
    gone = GoneResolver(list(ADDRESSES), socket.EAI_NONAME)
    balancer = Balancer(gone, resolve_seconds=5, clock=clock)
    assert await balancer.addresses(NAME, 80) == ADDRESSES
    gone.addresses = []
    clock.now = 5
    assert await balancer.addresses(NAME, 80) == [NAME]  # the name itself: it fails at once

    blip = GoneResolver(list(ADDRESSES), socket.EAI_AGAIN)
    balancer = Balancer(blip, resolve_seconds=5, clock=clock)
    assert await balancer.addresses(NAME, 80) == ADDRESSES
    blip.addresses = []
    clock.now = 10
    assert await balancer.addresses(NAME, 80) == ADDRESSES


async def test_every_replica_stopped_the_gateway_answers_503_without_trying_them(
    settings: GatewaySettings, replicas: dict[str, Any]
) -> None:
    resolver = GoneResolver(list(ADDRESSES), socket.EAI_NONAME)
    app = await gateway(settings, replicas["port"], resolver, gateway_resolve_seconds=60)
    async with LifespanManager(app):
        assert await get_posts(app, 3) == [200] * 3
        for replica in replicas["running"].values():
            await replica.server.close()
        resolver.addresses = []
        # the first request finds its address gone and the name gone with it; then none tries
        # an old address: each asks DNS again (the name is back as soon as a replica is)
        assert await get_posts(app, 3) == [503] * 3
    assert resolver.lookups == 1 + 3
