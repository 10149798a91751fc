"""``make bench``: what the gateway costs, whether uploads stream, how fast the suites are.

1. Gateway overhead. The same requests (``GET /api/posts?limit=10`` and
   ``GET /api/auth/jwks.json``) sent straight to the owning service, through the gateway, and
   through nginx (``proxy_pass`` with pooled upstream connections, Debian's package) in front of
   the same service: one stack, one load generator (wrk), several concurrency levels,
   interleaved so drift in the machine's load hits all three alike. Reported: requests/s, p50,
   p99, gateway/direct throughput and the latency each proxy adds at the median.
2. A 10 MiB upload through the gateway: the growth of the gateway's peak RSS (it streams, so
   the body never sits in its memory).
3. Suite speed: the wall time of ``make test`` (every in-process suite, as CI runs them), each
   suite's own pytest time, median test and branch coverage, and the e2e run.

Figures are printed as a table and saved to ``quality/bench/results/bench.json`` and ``bench.png``.
Nothing here asserts: a missed target is printed as such (the suites never assert timings).

The stack is the e2e runner's (``inkwell_e2e``), on its own ports (``BENCH_PORT_BASE``, default
19000), databases (``inkwell_bench_auth``/``_content``) and folders (``.run/bench``), so it
never touches ``make dev`` or an e2e run. wrk and nginx come from Debian (installed when
missing, as root); nginx runs from a config generated into a temporary folder, on 127.0.0.1.
"""

import argparse
import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from loadgen import WRK_REPORT, ensure_tools, say, version, which, wrk
from report import ENDPOINTS, TARGETS, plot, print_report, verdicts
from suites import SUITES, suite_speed

from inkwell_devstack.config import StackConfig, side_stack
from inkwell_devstack.stack import Supervisor
from inkwell_e2e.flows import png, register

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "quality" / "bench" / "results"
PORT_BASE = int(os.environ.get("BENCH_PORT_BASE", "19000"))
NGINX_PORT = PORT_BASE + 20
MIB = 1024 * 1024

"""The in-process suites (the Makefile's SUITES): ``make test`` runs them side by side."""


# -- the stack -----------------------------------------------------------------------------------
def bench_config() -> StackConfig:
    """The e2e profile on the bench's own ports, databases and folders."""
    return side_stack(
        "bench",
        PORT_BASE,
        {
            "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
            "MAX_UPLOAD_BYTES": str(16 * MIB),
            "MAX_IMAGE_PIXELS": str(50_000_000),
        },
    )


@contextlib.contextmanager
def running_stack(config: StackConfig) -> Iterator[Supervisor]:
    supervisor = Supervisor(config, out=say)
    supervisor.up()
    try:
        yield supervisor
    finally:
        supervisor.down()


def seed(gateway_url: str, posts: int = 15) -> dict[str, str]:
    """A user and a full first page of posts; the user's auth headers."""
    import anyio

    async def go() -> dict[str, str]:
        async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
            user = await register(client, "bench")
            for i in range(posts):
                created = await client.post(
                    "/api/posts",
                    json={"title": f"Bench post {i}", "content": "lorem ipsum " * 40},
                    headers=user.headers,
                )
                created.raise_for_status()
            return user.headers

    return anyio.run(go)


# -- nginx ---------------------------------------------------------------------------------------
NGINX_CONF = """\
{user}worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {tmp}/access.log combined buffer=64k;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream auth {{ server {auth}; keepalive 64; }}
    upstream content {{ server {content}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        location /api/auth/ {{ proxy_pass http://auth; }}
        location /api/posts {{ proxy_pass http://content; }}
    }}
}}
"""


@contextlib.contextmanager
def running_nginx(config: StackConfig) -> Iterator[str]:
    nginx = which("nginx")
    assert nginx is not None
    with tempfile.TemporaryDirectory(prefix="inkwell-bench-nginx-") as tmp:
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                user="user root;\n" if os.geteuid() == 0 else "",
                tmp=tmp,
                port=NGINX_PORT,
                auth=config.url("auth").removeprefix("http://"),
                content=config.url("content").removeprefix("http://"),
            )
        )
        proc = subprocess.Popen(  # noqa: S603
            [nginx, "-p", tmp, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        url = f"http://127.0.0.1:{NGINX_PORT}"
        try:
            _wait_for(url + ENDPOINTS["jwks"][1], proc)
            yield url
        finally:
            proc.send_signal(signal.SIGQUIT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_for(url: str, proc: subprocess.Popen[bytes], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"nginx exited: {err}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nginx did not answer at {url}")


# -- load ----------------------------------------------------------------------------------------
def overhead(
    config: StackConfig, nginx_url: str, levels: list[int], seconds: float, rounds: int
) -> list[dict[str, Any]]:
    """Every endpoint x concurrency x target; each point the median of ``rounds`` runs."""
    bases = {"gateway": config.gateway_url, "nginx": nginx_url}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "report.lua"
        script.write_text(WRK_REPORT)
        for name, (service, path) in ENDPOINTS.items():
            urls = {target: bases.get(target, config.url(service)) + path for target in TARGETS}
            for target in TARGETS:  # warm every pool and cache once
                wrk(urls[target], 4, 1, script)
            for connections in levels:
                runs: dict[str, list[dict[str, Any]]] = {t: [] for t in TARGETS}
                for _ in range(rounds):
                    for target in TARGETS:
                        runs[target].append(wrk(urls[target], connections, seconds, script))
                for target in TARGETS:
                    point = {
                        key: statistics.median(run[key] for run in runs[target])
                        for key in ("rps", "p50_ms", "p90_ms", "p99_ms", "mean_ms")
                    }
                    point["errors"] = sum(run["errors"] + run["non_2xx"] for run in runs[target])
                    rows.append(
                        {"endpoint": name, "connections": connections, "target": target, **point}
                    )
                    say(
                        f"  {name:<6} c={connections:<3} {target:<8} {point['rps']:>8.0f} rps  "
                        f"p50 {point['p50_ms']:.2f} ms  p99 {point['p99_ms']:.2f} ms"
                        + (f"  ({point['errors']} errors)" if point["errors"] else "")
                    )
    return rows


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per endpoint and concurrency: gateway/direct rps and the p50 each proxy adds."""
    by_key = {(r["endpoint"], r["connections"], r["target"]): r for r in rows}
    out = []
    for endpoint, connections in sorted({(r["endpoint"], r["connections"]) for r in rows}):
        direct, gw, ngx = (by_key[(endpoint, connections, t)] for t in TARGETS)
        out.append(
            {
                "endpoint": endpoint,
                "connections": connections,
                "gateway_rps_ratio": gw["rps"] / direct["rps"],
                "nginx_rps_ratio": ngx["rps"] / direct["rps"],
                "gateway_added_p50_ms": gw["p50_ms"] - direct["p50_ms"],
                "nginx_added_p50_ms": ngx["p50_ms"] - direct["p50_ms"],
                "gateway_added_p99_ms": gw["p99_ms"] - direct["p99_ms"],
                "nginx_added_p99_ms": ngx["p99_ms"] - direct["p99_ms"],
            }
        )
    return out


# -- upload --------------------------------------------------------------------------------------
def big_png(size: int = 10 * MIB) -> bytes:
    """A real PNG of about ``size`` bytes: random pixels do not compress."""
    side = int((size / 3) ** 0.5) + 1
    rgb = os.urandom(side * side * 3)
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), rgb).save(buffer, "PNG", compress_level=0)
    return buffer.getvalue()


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def upload_rss(supervisor: Supervisor, headers: dict[str, str], uploads: int = 3) -> dict[str, Any]:
    """Peak RSS growth of the gateway while 10 MiB uploads pass through it."""
    child = supervisor.children["gateway"]
    assert child.proc is not None
    pid = child.proc.pid
    body = big_png()
    url = supervisor.config.gateway_url + "/api/users/me/profile-picture"
    with httpx.Client(timeout=120) as client:
        # One small upload first, so lazily built things (pools, imports) are not counted.
        client.put(url, files={"file": ("small.png", png(), "image/png")}, headers=headers)
        before = _status_kib(pid, "VmRSS")
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
        statuses = []
        started = time.monotonic()
        for _ in range(uploads):
            answer = client.put(
                url, files={"file": ("big.png", body, "image/png")}, headers=headers
            )
            statuses.append(answer.status_code)
        seconds = (time.monotonic() - started) / uploads
        peak = _status_kib(pid, "VmHWM")
    return {
        "body_mib": len(body) / MIB,
        "uploads": uploads,
        "statuses": statuses,
        "rss_before_mib": before / 1024,
        "peak_rss_mib": peak / 1024,
        "peak_growth_mib": max(0, peak - before) / 1024,
        "seconds_per_upload": seconds,
    }


# -- suites --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--connections", default=os.environ.get("BENCH_CONNECTIONS", "1,10,50"))
    parser.add_argument(
        "--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "5"))
    )
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "3")))
    parser.add_argument("--no-load", action="store_true", help="skip the overhead and upload parts")
    parser.add_argument("--no-suites", action="store_true", help="skip timing the suites")
    parser.add_argument("--no-e2e", action="store_true", help="time the in-process suites only")
    parser.add_argument("--suites", default=",".join(SUITES), help="which in-process suites")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--replot", action="store_true", help="redraw bench.png from bench.json")
    args = parser.parse_args()
    if args.replot:
        saved = json.loads((args.out / "bench.json").read_text())
        print_report(saved)
        plot(saved, args.out / "bench.png")
        return 0

    result: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": list(os.getloadavg()),
        },
        "settings": {
            "connections": args.connections,
            "seconds": args.seconds,
            "rounds": args.rounds,
        },
    }
    if not args.no_load:
        ensure_tools({"wrk": "wrk", "nginx": "nginx-light"})
        levels = [int(c) for c in args.connections.split(",")]
        config = bench_config()
        say(f"bench: stack on ports {PORT_BASE}+, nginx on {NGINX_PORT}")
        with running_stack(config) as supervisor:
            headers = seed(config.gateway_url)
            with running_nginx(config) as nginx_url:
                say("Gateway overhead")
                result["overhead"] = overhead(config, nginx_url, levels, args.seconds, args.rounds)
            result["overhead_summary"] = summarize(result["overhead"])
            say("Upload")
            result["upload"] = upload_rss(supervisor, headers)
        result["tools"] = {"wrk": version("wrk"), "nginx": version("nginx")}
    if not args.no_suites:
        say("Suites")
        names = [n for n in args.suites.split(",") if n in SUITES]
        result.update(suite_speed(names, e2e=not args.no_e2e))
    result["machine"]["load_average_at_end"] = list(os.getloadavg())
    result["targets"] = verdicts(result)
    print_report(result)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    if result.get("overhead"):
        plot(result, args.out / "bench.png")
    say(f"\nsaved {args.out / 'bench.json'}" + (" and bench.png" if result.get("overhead") else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
