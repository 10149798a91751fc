"""``make bench-hostile``: what slow and huge requests cost the gateway and the services.

Against a stack of its own (the e2e runner's, ports from ``BENCH_HOSTILE_PORT_BASE``, default
19300), each attack once, with the peak RSS (``VmHWM``, reset before each) of the process it
targets:

1. A 50 MB request header to the gateway (refused at ``GATEWAY_MAX_HEADER_BYTES``: 431).
2. 1,000 distinct 64 KB URLs to the gateway (past the head limit: 431), then 1,000 distinct
   24 KB URLs (under it: proxied; too long for the URL cache, which keeps short targets only).
3. A 200 MB body, chunked (no ``Content-Length``, so it must be counted while read), straight to
   each service (refused at its ``MAX_BODY_BYTES``: 413).
4. A body sent at one byte every two seconds, and a head that never ends, to the gateway:
   how long until the gateway cuts them off (``GATEWAY_BODY_TIMEOUT_SECONDS`` and
   ``GATEWAY_HEADER_TIMEOUT_SECONDS``, set to 10 s here to keep the run short).

Target: growth of at most 20 MiB each. Figures are printed and saved to
``quality/bench/results/hostile.json``; nothing asserts (the suites never assert timings).
"""

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from inkwell_devstack.config import StackConfig, side_stack
from inkwell_devstack.stack import Supervisor
from inkwell_e2e.flows import register

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "quality" / "bench" / "results"
PORT_BASE = int(os.environ.get("BENCH_HOSTILE_PORT_BASE", "19300"))
MIB = 1024 * 1024
TARGET_GROWTH_MIB = 20.0
EDGE_TIMEOUT_SECONDS = 10.0

BODY_ROUTES = {
    "auth": ("POST", "/api/auth/login"),
    "content": ("POST", "/api/posts"),
    "preferences": ("PUT", "/api/users/me/preferences"),
    "media": ("PUT", "/api/users/me/profile-picture"),
    "weather": ("POST", "/api/weather/London"),
}
"""Per service, a route taking a body (weather has none: its guard refuses before routing)."""


def say(line: str) -> None:
    print(line, flush=True)


def bench_config() -> StackConfig:
    seconds = str(EDGE_TIMEOUT_SECONDS)
    return side_stack(
        "bench_hostile",
        PORT_BASE,
        {
            "LOG_LEVEL": "WARNING",
            "GATEWAY_BODY_TIMEOUT_SECONDS": seconds,
            "GATEWAY_HEADER_TIMEOUT_SECONDS": seconds,
        },
    )


def kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


@contextlib.contextmanager
def peak_growth(pid: int, into: dict[str, Any]) -> Iterator[None]:
    """Peak RSS growth of ``pid`` over the block, in MiB, into ``into``."""
    before = kib(pid, "VmRSS")
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM starts again from now
    started = time.monotonic()
    yield
    into["seconds"] = round(time.monotonic() - started, 2)
    into["rss_before_mib"] = round(before / 1024, 1)
    into["growth_mib"] = round(max(0, kib(pid, "VmHWM") - before) / 1024, 1)
    into["rss_after_mib"] = round(kib(pid, "VmRSS") / 1024, 1)


def status_of(raw: bytes) -> int:
    try:
        return int(raw.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def huge_header(host: str, port: int, size: int = 50 * 1000 * 1000) -> dict[str, Any]:
    """Send a header of ``size`` bytes in 64 KB pieces until the gateway stops us."""
    sent = 0
    answer = b""
    with socket.create_connection((host, port)) as sock:
        sock.sendall(b"GET /api/posts HTTP/1.1\r\nhost: bench\r\nx-huge: ")
        piece = b"a" * 65536
        try:
            while sent < size:
                sock.sendall(piece)
                sent += len(piece)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            sock.settimeout(5)
            answer = sock.recv(4096)
    return {"sent_mb": round(sent / 1e6, 1), "status": status_of(answer)}


def distinct_urls(base: str, count: int, size: int) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for index in range(count):
            filler = f"{index:06d}" + "a" * (size - 6)
            try:
                status = client.get(f"/api/posts?skip=0&x={filler}").status_code
            except httpx.HTTPError:
                status = 0
            statuses[status] = statuses.get(status, 0) + 1
    return {"urls": count, "url_kb": size // 1000, "statuses": statuses}


def chunked_body(url: str, method: str, headers: dict[str, str], size: int) -> dict[str, Any]:
    """``size`` bytes, chunked; the answer, or how far it got before the service hung up."""
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        piece = b"x" * (256 * 1024)
        while sent < size:
            sent += len(piece)
            yield piece

    request_headers = {**headers, "content-type": "application/json"}
    try:
        with httpx.Client(timeout=60) as client:
            answer = client.request(method, url, content=chunks(), headers=request_headers)
        status = answer.status_code
    except httpx.HTTPError as exc:
        status = 0
        say(f"  ({type(exc).__name__} after {sent / MIB:.0f} MiB: the service closed)")
    return {"body_mb": size // 1_000_000, "sent_mib": round(sent / MIB, 1), "status": status}


def trickle(host: str, port: int, head: bytes, every: float = 2.0) -> dict[str, Any]:
    """Send ``head``, then a byte every ``every`` seconds: when does the gateway hang up?"""
    started = time.monotonic()
    answer = b""
    with socket.create_connection((host, port)) as sock:
        sock.sendall(head)
        sock.settimeout(every)
        try:
            for _ in range(120):
                try:
                    answer = sock.recv(4096)
                    break
                except TimeoutError:
                    sock.sendall(b"a")
        except OSError:
            pass
    return {"cut_after_s": round(time.monotonic() - started, 1), "status": status_of(answer)}


def run(supervisor: Supervisor) -> dict[str, Any]:
    config = supervisor.config
    gateway = config.gateway_url
    host, port = "127.0.0.1", int(gateway.rsplit(":", 1)[1])
    gateway_pid = pid_of(supervisor, "gateway")
    with httpx.Client(base_url=gateway, timeout=30) as client:
        client.get("/api/posts")  # warm: pools, imports
    user = _register(gateway)
    result: dict[str, Any] = {"gateway": {}, "services": {}, "timeouts": {}}

    say("50 MB header to the gateway ...")
    row = result["gateway"]["header_50mb"] = dict[str, Any]()
    with peak_growth(gateway_pid, row):
        row.update(huge_header(host, port))
    for size in (64_000, 24_000):
        say(f"1,000 distinct {size // 1000} KB URLs to the gateway ...")
        row = result["gateway"][f"urls_{size // 1000}kb"] = dict[str, Any]()
        with peak_growth(gateway_pid, row):
            row.update(distinct_urls(gateway, 1000, size))
    for service, (method, path) in BODY_ROUTES.items():
        say(f"200 MB chunked body straight to {service} ...")
        row = result["services"][service] = dict[str, Any]()
        with peak_growth(pid_of(supervisor, service), row):
            url = config.url(service) + path
            row.update(chunked_body(url, method, user, 200 * 1_000_000))
    say(f"body at 1 byte / 2 s to the gateway (timeout {EDGE_TIMEOUT_SECONDS:g} s) ...")
    head = b"POST /api/posts HTTP/1.1\r\nhost: bench\r\ncontent-length: 1000\r\n\r\n"
    result["timeouts"]["slow_body"] = trickle(host, port, head)
    say("head at 1 byte / 2 s to the gateway ...")
    result["timeouts"]["slow_head"] = trickle(host, port, b"GET /api/posts HTTP/1.1\r\n")
    result["timeouts"]["documented_s"] = EDGE_TIMEOUT_SECONDS
    return result


def _register(gateway: str) -> dict[str, str]:
    import anyio

    async def make() -> dict[str, str]:
        async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
            return (await register(client, "benchhostile")).headers

    return anyio.run(make)


def pid_of(supervisor: Supervisor, name: str) -> int:
    child = supervisor.children[name]
    assert child.proc is not None
    return child.proc.pid


def print_report(result: dict[str, Any]) -> None:
    def verdict(growth: float) -> str:
        return "ok" if growth <= TARGET_GROWTH_MIB else f"MISSED (> {TARGET_GROWTH_MIB:g} MiB)"

    say("")
    say(f"{'attack':<40} {'answer':>8} {'growth MiB':>11} {'RSS after':>10}  target ≤ 20 MiB")
    rows = [(f"gateway: {name}", row) for name, row in result["gateway"].items()]
    rows += [(f"{name}: 200 MB chunked body", row) for name, row in result["services"].items()]
    for label, row in rows:
        answer = row.get("status", row.get("statuses"))
        say(
            f"{label:<40} {answer!s:>8} {row['growth_mib']:>11.1f} "
            f"{row['rss_after_mib']:>10.1f}  {verdict(row['growth_mib'])}"
        )
    limit = result["timeouts"]["documented_s"]
    for name in ("slow_body", "slow_head"):
        row = result["timeouts"][name]
        ok = "ok" if row["cut_after_s"] <= limit + 2.5 else "MISSED"
        say(
            f"gateway: {name} (1 byte / 2 s)          {row['status']:>8} cut after "
            f"{row['cut_after_s']:.1f} s (timeout {limit:g} s)  {ok}"
        )


def main() -> int:
    config = bench_config()
    say(f"bench-hostile: stack on ports {PORT_BASE}+")
    supervisor = Supervisor(config, out=say)
    supervisor.up()
    try:
        result = run(supervisor)
    finally:
        supervisor.down()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "hostile.json").write_text(json.dumps(result, indent=2) + "\n")
    print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
