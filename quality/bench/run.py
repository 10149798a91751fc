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
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from loadgen import WRK_REPORT, ensure_tools, version, which, wrk

from inkwell_devstack.config import StackConfig, side_stack
from inkwell_devstack.stack import Supervisor
from inkwell_e2e.flows import png, register

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "quality" / "bench" / "results"
PORT_BASE = int(os.environ.get("BENCH_PORT_BASE", "19000"))
NGINX_PORT = PORT_BASE + 20
MIB = 1024 * 1024

ENDPOINTS = {
    "posts": ("content", "/api/posts?limit=10"),
    "jwks": ("auth", "/api/auth/jwks.json"),
}
TARGETS = ("direct", "gateway", "nginx")

TARGET_GATEWAY_ADDED_P50_MS = 1.0
TARGET_RPS_RATIO = 0.5
TARGET_UPLOAD_RSS_MIB = 5.0
TARGET_SUITES_SECONDS = 30.0

SUITES = ("runtime", "auth", "content", "preferences", "media", "weather", "gateway")
"""The in-process suites (the Makefile's SUITES): ``make test`` runs them side by side."""


def say(line: str) -> None:
    print(line, flush=True)


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
def suite_speed(names: list[str], e2e: bool) -> dict[str, Any]:
    """``make test`` exactly as CI runs it (its wall time is the target), with each suite's JUnit
    report and coverage kept for the per-suite figures; then the e2e suite (no coverage)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        # `$*` is make's: each suite's recipe expands it to the suite's name.
        pytest_args = f"--junitxml={tmp}/$*.xml --cov-report=json:{tmp}/$*.json"
        argv = ["make", "--no-print-directory", "test", f"SUITES={' '.join(names)}"]
        argv.append(f"PYTEST_ARGS={pytest_args}")
        started = time.monotonic()
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)  # noqa: S603
        total = time.monotonic() - started
        say(f"  make test ({len(names)} suites): {total:.1f} s wall, exit code {done.returncode}")
        for name in names:
            rows.append(_suite_row(name, Path(tmp) / f"{name}.xml", Path(tmp) / f"{name}.json"))
        if e2e:
            report = Path(tmp) / "e2e.xml"
            argv = [sys.executable, "-m", "pytest", "e2e/tests", "-q", "-p", "no:cacheprovider"]
            started = time.monotonic()
            subprocess.run([*argv, f"--junitxml={report}"], cwd=ROOT, capture_output=True)  # noqa: S603
            rows.append(
                {**_suite_row("e2e", report, None), "wall_seconds": time.monotonic() - started}
            )
    return {"make_test_wall_seconds": total, "make_test_exit_code": done.returncode, "suites": rows}


def _suite_row(name: str, report: Path, cov: Path | None) -> dict[str, Any]:
    times, failed, seconds = _junit(report)
    coverage = None
    if cov is not None and cov.exists():
        coverage = json.loads(cov.read_text())["totals"]["percent_covered"]
    row = {
        "suite": name,
        "tests": len(times),
        "pytest_seconds": seconds,
        "median_test_ms": statistics.median(times) * 1000 if times else 0.0,
        "branch_coverage_percent": coverage,
        "failed": failed,
    }
    shown = f"  coverage {coverage:.1f} %" if coverage is not None else ""
    say(
        f"  {name:<12} {len(times):>4} tests  {seconds:6.1f} s in pytest  "
        f"median {row['median_test_ms']:.0f} ms{shown}" + (f"  ({failed} failed)" if failed else "")
    )
    return row


def _junit(path: Path) -> tuple[list[float], int, float]:
    """Each test's time, how many failed, and the whole run's time, from pytest's JUnit report."""
    if not path.exists():
        return [], 0, 0.0
    root = ET.parse(path).getroot()  # noqa: S314 - pytest's own report
    times, failed = [], 0
    for case in root.iter("testcase"):
        times.append(float(case.get("time", 0)))
        failed += any(child.tag in ("failure", "error") for child in case)
    return times, failed, sum(float(suite.get("time", 0)) for suite in root.iter("testsuite"))


# -- report --------------------------------------------------------------------------------------
def verdicts(result: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []
    summary = result.get("overhead_summary") or []
    low = [s for s in summary if s["connections"] == min(s["connections"] for s in summary)]
    if low:
        worst = max(s["gateway_added_p50_ms"] for s in low)
        checks.append(
            (
                "gateway-added p50 at low concurrency",
                f"{worst:.2f} ms",
                f"≤ {TARGET_GATEWAY_ADDED_P50_MS} ms",
                worst <= TARGET_GATEWAY_ADDED_P50_MS,
            )
        )
    if summary:
        ratio = min(s["gateway_rps_ratio"] for s in summary)
        checks.append(
            (
                "gateway rps / direct rps (worst point)",
                f"{ratio:.0%}",
                f"≥ {TARGET_RPS_RATIO:.0%}",
                ratio >= TARGET_RPS_RATIO,
            )
        )
    if upload := result.get("upload"):
        growth = upload["peak_growth_mib"]
        checks.append(
            (
                "gateway peak RSS growth, 10 MiB upload",
                f"{growth:.1f} MiB",
                f"< {TARGET_UPLOAD_RSS_MIB:.0f} MiB",
                growth < TARGET_UPLOAD_RSS_MIB,
            )
        )
    if (total := result.get("make_test_wall_seconds")) is not None:
        checks.append(
            (
                "in-process suites together (make test, wall)",
                f"{total:.1f} s",
                f"≤ {TARGET_SUITES_SECONDS:.0f} s",
                total <= TARGET_SUITES_SECONDS,
            )
        )
    return [{"what": w, "measured": m, "target": t, "met": ok} for w, m, t, ok in checks]


def _table(header: list[str], rows: list[list[str]]) -> None:
    """A plain right-aligned table (first column left-aligned)."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        say("  " + "  ".join(cells))


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} %"


def print_report(result: dict[str, Any]) -> None:
    if rows := result.get("overhead"):
        say("\nGateway overhead (wrk, median of rounds; d/g/n = direct/gateway/nginx)")
        by = {(r["endpoint"], r["connections"], r["target"]): r for r in rows}
        table = []
        for s in result["overhead_summary"]:
            d, g, n = (by[(s["endpoint"], s["connections"], t)] for t in TARGETS)
            table.append(
                [
                    s["endpoint"],
                    str(s["connections"]),
                    f"{d['rps']:.0f}",
                    f"{g['rps']:.0f}",
                    f"{n['rps']:.0f}",
                    f"{s['gateway_rps_ratio']:.0%}",
                    f"{d['p50_ms']:.2f}/{g['p50_ms']:.2f}/{n['p50_ms']:.2f}",
                    f"{d['p99_ms']:.2f}/{g['p99_ms']:.2f}/{n['p99_ms']:.2f}",
                    f"{s['gateway_added_p50_ms']:+.2f}",
                    f"{s['nginx_added_p50_ms']:+.2f}",
                ]
            )
        header = ["endpoint", "conns", "rps d", "rps g", "rps n", "g/d", "p50 ms d/g/n"]
        _table([*header, "p99 ms d/g/n", "g adds p50", "n adds p50"], table)
    if upload := result.get("upload"):
        say(
            f"\nUpload: {upload['body_mib']:.1f} MiB x {upload['uploads']} through the gateway "
            f"(answers {upload['statuses']}): peak RSS {upload['rss_before_mib']:.1f} -> "
            f"{upload['peak_rss_mib']:.1f} MiB, growth {upload['peak_growth_mib']:.1f} MiB"
        )
    if suites := result.get("suites"):
        say(f"\nSuites (make test: {result['make_test_wall_seconds']:.1f} s wall)")
        _table(
            ["suite", "tests", "s in pytest", "median ms/test", "branch coverage"],
            [
                [
                    s["suite"],
                    str(s["tests"]),
                    f"{s.get('wall_seconds', s['pytest_seconds']):.1f}",
                    f"{s['median_test_ms']:.0f}",
                    _percent(s.get("branch_coverage_percent")),
                ]
                for s in suites
            ],
        )
    if checks := result.get("targets"):
        say("\nTargets")
        _table(
            ["", "what", "measured", "target"],
            [
                ["met" if c["met"] else "MISSED", c["what"], c["measured"], c["target"]]
                for c in checks
            ],
        )


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result.get("overhead") or []
    endpoints = list(dict.fromkeys(r["endpoint"] for r in rows))
    if not endpoints:
        return
    fig, axes = plt.subplots(2, len(endpoints), figsize=(6 * len(endpoints), 8), squeeze=False)
    colors = {"direct": "#4c72b0", "gateway": "#dd8452", "nginx": "#55a868"}
    for col, endpoint in enumerate(endpoints):
        levels = sorted({r["connections"] for r in rows if r["endpoint"] == endpoint})
        width = 0.27
        for i, target in enumerate(TARGETS):
            points = {
                r["connections"]: r
                for r in rows
                if r["endpoint"] == endpoint and r["target"] == target
            }
            xs = [j + (i - 1) * width for j in range(len(levels))]
            axes[0][col].bar(
                xs, [points[c]["rps"] for c in levels], width, label=target, color=colors[target]
            )
            axes[1][col].bar(xs, [points[c]["p50_ms"] for c in levels], width, color=colors[target])
            axes[1][col].errorbar(
                xs,
                [points[c]["p50_ms"] for c in levels],
                yerr=[
                    [0] * len(levels),
                    [points[c]["p99_ms"] - points[c]["p50_ms"] for c in levels],
                ],
                fmt="none",
                ecolor="#333333",
                capsize=3,
            )
        for row in (0, 1):
            axes[row][col].set_xticks(range(len(levels)), [f"{c} conn" for c in levels])
        service, request_path = ENDPOINTS[endpoint]
        axes[0][col].set_title(f"GET {request_path} ({service})")
        axes[0][col].set_ylabel("requests / s")
        axes[1][col].set_ylabel("latency ms, log scale (bar p50, whisker p99)")
        axes[1][col].set_yscale("log")
        axes[0][col].legend()
    cpus = result["machine"]["cpus"]
    fig.suptitle(f"Inkwell: direct vs gateway vs nginx — {result['measured_at']}, {cpus} CPUs")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


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
            "python": platform.pythonversion(),
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
