"""What the replica tests (e2e/tests/test_replicas.py) need of a scaled compose system: its
containers one by one (``docker``), each replica's own ``/metrics``, and a load of real requests
spread over every gateway the way a load balancer in front of them would.
"""

import asyncio
import json
import re
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HEALTHY_TIMEOUT = 180.0


class Containers:
    """A compose project's containers, by service, through the docker CLI."""

    def __init__(self, compose_command: Sequence[str], cwd: Path) -> None:
        self.compose_command = list(compose_command)
        self.cwd = cwd

    def _run(self, *argv: str) -> str:
        done = subprocess.run(argv, cwd=self.cwd, check=True, capture_output=True, text=True)
        return done.stdout

    def of(self, service: str) -> list[str]:
        """The running containers of ``service`` (ids), in a stable order."""
        return sorted(self._run(*self.compose_command, "ps", "-q", service).split())

    def docker(self, *argv: str) -> str:
        return self._run("docker", *argv)

    def metrics(self, container: str, port: int) -> str:
        """The replica's own ``/metrics`` (its port is not published: asked from inside)."""
        script = (
            "import urllib.request as u; "
            f"print(u.urlopen('http://127.0.0.1:{port}/metrics', timeout=5).read().decode())"
        )
        return self.docker("exec", container, "python3", "-c", script)

    def state(self, container: str) -> tuple[str, str]:
        raw = self.docker("inspect", "--format", "{{json .State}}", container)
        state = json.loads(raw)
        return state["Status"], (state.get("Health") or {}).get("Status", "")

    async def wait_healthy(self, container: str) -> None:
        deadline = time.monotonic() + HEALTHY_TIMEOUT
        while await asyncio.to_thread(self.state, container) != ("running", "healthy"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{container} not healthy within {HEALTHY_TIMEOUT:.0f}s")
            await asyncio.sleep(0.5)


def requests_served(metrics: str, method: str, route: str) -> int:
    """The replica's ``http_server_requests_total`` for ``method route``, every status."""
    pattern = re.compile(r"^http_server_requests_total\{([^}]*)\} ([0-9.e+]+)$", re.MULTILINE)
    total = 0.0
    for labels, value in pattern.findall(metrics):
        found = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if found.get("method") == method and found.get("route") == route:
            total += float(value)
    return int(total)


@dataclass
class Gateways:
    """Every gateway, used as a load balancer in front of them would: round robin over the
    gateways in rotation. One that refuses a connection (nothing was sent) or whose answer says
    ``Connection: close`` (draining: ``inkwell_runtime.drain``) leaves the rotation, and is
    probed every ``recheck`` seconds: it is back once its ``/healthz`` answers 200 *without*
    ``Connection: close``, i.e. from the new process (a draining one answers its health check
    too, but says it is closing). When every gateway is out, each is probed at once rather than
    sent traffic blindly: a draining gateway's listener closes after its drain, and through
    Docker's port proxy a connection to a closed listener is accepted, then cut unanswered."""

    urls: Sequence[str]
    recheck: float = 0.5
    timeout: float = 30.0
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    out_until: dict[str, float] = field(default_factory=dict)
    turn: int = 0

    async def __aenter__(self) -> "Gateways":
        for url in self.urls:
            self.clients[url] = httpx.AsyncClient(base_url=url, timeout=self.timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self.clients.values():
            await client.aclose()

    def take_out(self, url: str) -> None:
        self.out_until[url] = time.monotonic() + self.recheck

    async def _in_service(self, url: str) -> bool:
        """The balancer's health check: alive and not draining."""
        try:
            answer = await self.clients[url].get("/healthz")
        except httpx.TransportError:
            return False
        return answer.status_code == 200 and answer.headers.get("connection") != "close"

    async def _usable(self, url: str, *, probe_now: bool = False) -> bool:
        until = self.out_until.get(url, 0.0)
        if until == 0.0:
            return True
        if time.monotonic() < until and not probe_now:
            return False
        if await self._in_service(url):
            self.out_until[url] = 0.0
            return True
        self.take_out(url)
        return False

    async def request(self, method: str, path: str, **options: object) -> httpx.Response:
        self.turn += 1
        start = self.turn % len(self.urls)
        urls = list(self.urls[start:]) + list(self.urls[:start])
        usable = [u for u in urls if await self._usable(u)]
        if not usable:
            usable = [u for u in urls if await self._usable(u, probe_now=True)] or urls
        error: Exception | None = None
        for url in usable:
            try:
                response = await self.clients[url].request(method, path, **options)  # type: ignore[arg-type]
            except httpx.ConnectError as exc:
                self.take_out(url)
                error = exc
                continue
            if response.headers.get("connection", "").lower() == "close":
                self.take_out(url)
            return response
        assert error is not None
        raise error


@dataclass
class Load:
    """Results of a load run: every request's outcome, and the posts whose creation was
    acknowledged (201)."""

    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())


async def run_load(
    gateways: Gateways,
    headers: dict[str, str],
    until: asyncio.Event,
    *,
    workers: int = 6,
) -> Load:
    """``workers`` loops of real requests (create a post, read it back, who am I, list posts)
    until ``until`` is set; every answer other than the expected one is a failure."""
    load = Load()

    async def step(name: str, call: Awaitable[httpx.Response], want: int) -> httpx.Response | None:
        try:
            response = await call
        except httpx.HTTPError as exc:
            load.outcomes["error"] += 1
            load.failures.append(f"{name}: {exc!r}")
            return None
        load.outcomes[str(response.status_code)] += 1
        if response.status_code != want:
            load.failures.append(f"{name}: {response.status_code} {response.text[:200]}")
            return None
        return response

    async def worker(n: int) -> None:
        i = 0
        while not until.is_set():
            i += 1
            post = {"title": f"load {n}-{i}", "content": "under load"}
            created = await step(
                "create", gateways.request("POST", "/api/posts", json=post, headers=headers), 201
            )
            if created is not None:
                post_id = created.json()["id"]
                load.acknowledged.append(post_id)
                await step("read", gateways.request("GET", f"/api/posts/{post_id}"), 200)
            await step("me", gateways.request("GET", "/api/users/me", headers=headers), 200)
            await step("list", gateways.request("GET", "/api/posts"), 200)

    await asyncio.gather(*(worker(n) for n in range(workers)))
    return load
