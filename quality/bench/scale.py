"""``make bench-scale``: does a read cost the same at a million rows as at a thousand?

For each size (1k, 100k, 1M posts, and as many users):

1. Seed (``scale_seed``): the size's own databases, migrated by the services' Alembic
   migrations, filled by set-based SQL; kept between runs (``--drop`` removes them).
2. Run the stack (``inkwell_devstack``'s supervisor, the e2e profile on its own ports and
   folders, pointed at the size's databases) and the floor (``scale_floor``: bare Starlette +
   asyncpg running the posts list's SQL).
3. Measure with wrk at one connection, on the service itself and through the gateway:
   the first page, a cursor page at 90 % depth (900k at 1M), one author's page, one post,
   a create, the admin user listing (first page and 90 % depth), and, on the service only,
   what the opt-in ``total`` and the deepest allowed ``skip`` cost. The floor answers the
   first page and the deep page in the same run.
4. ``--profile``: py-spy samples the content service while it serves the first page at the
   largest size; the functions holding most samples are printed and the collapsed stacks saved.

Printed: a table (p50/p99 per size and the largest/smallest p50 ratio), the service vs floor
comparison and the issue's targets, with the machine's load average at start and end (the
machine is shared: figures are only comparable within one run). Saved: ``results/scale.json``,
``scale.png`` and, with ``--profile``, ``scale-profile.txt``. Nothing here asserts.
"""

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import scale_seed
from loadgen import WRK_REPORT, ensure_tools, version, wrk
from scale_seed import Dataset

from inkwell_devstack.config import StackConfig, side_stack
from inkwell_devstack.stack import Supervisor, http_probe
from inkwell_runtime.pagination import encode_cursor

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "quality" / "bench" / "results"
PORT_BASE = int(os.environ.get("BENCH_SCALE_PORT_BASE", "24100"))
FLOOR_PORT = PORT_BASE + 50
ADMIN_EMAIL = "scale-admin@scale.example"
PASSWORD = "scale-bench-password"  # noqa: S105 - a throwaway account in the bench's own database
CREATE_TITLE = "bench-scale create"

TARGET_RATIO = 1.5
TARGET_FLOOR_RATIO = 2.0
RATIO_ENDPOINTS = ("posts first page", "posts at 90% depth", "author's page", "create post")
TARGETS = ("service", "gateway", "floor")


def say(line: str) -> None:
    print(line, flush=True)


# -- the stack -----------------------------------------------------------------------------------
def stack_config(dataset: Dataset) -> StackConfig:
    config = side_stack(
        "scale",
        PORT_BASE,
        {
            "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
            "BOOTSTRAP_ADMIN_EMAILS": json.dumps([ADMIN_EMAIL]),
        },
    )
    urls = {service: dataset.url(service) for service in ("auth", "content")}
    return dataclasses.replace(config, database_urls=urls, reset=False)


@contextlib.contextmanager
def running(dataset: Dataset) -> Iterator[Supervisor]:
    supervisor = Supervisor(stack_config(dataset), out=lambda _: None)
    supervisor.up()
    try:
        yield supervisor
    finally:
        supervisor.down()


@contextlib.contextmanager
def running_floor(dataset: Dataset) -> Iterator[tuple[str, int]]:
    url = f"http://127.0.0.1:{FLOOR_PORT}"
    argv = [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(__file__).parent)]
    argv += ["--factory", "scale_floor:create_app", "--port", str(FLOOR_PORT)]
    argv += ["--log-level", "warning"]
    proc = subprocess.Popen(  # noqa: S603 - this interpreter running uvicorn
        argv, env={**os.environ, "FLOOR_DSN": dataset.dsn("content")}, cwd=ROOT
    )
    try:
        probe = http_probe(url + "/api/posts?limit=1")
        with httpx.Client(timeout=2) as client:
            deadline = time.monotonic() + 30
            while not probe(client):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the floor app did not start")
                time.sleep(0.1)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


def admin_token(gateway: str) -> str:
    """The bench's admin (``BOOTSTRAP_ADMIN_EMAILS``), registered on first use."""
    with httpx.Client(base_url=gateway, timeout=30) as client:
        client.post(
            "/api/auth/register",
            json={"username": "scale_admin", "email": ADMIN_EMAIL, "password": PASSWORD},
        )
        answer = client.post(
            "/api/auth/token", data={"username": "scale_admin", "password": PASSWORD}
        )
        answer.raise_for_status()
        token: str = answer.json()["access_token"]
        return token


async def positions(dataset: Dataset) -> dict[str, str]:
    """Cursors at 90 % depth (found once, by offset), one author, one post."""
    depth_posts = int(dataset.size * 0.9)
    depth_users = int(dataset.size * 0.9)
    content = await asyncpg.connect(dataset.dsn("content"))
    auth = await asyncpg.connect(dataset.dsn("auth"))
    try:
        post = await content.fetchrow(
            "SELECT date_posted, id FROM posts ORDER BY date_posted DESC, id DESC "
            "OFFSET $1 LIMIT 1",
            depth_posts,
        )
        user = await auth.fetchrow(
            "SELECT created_at, id FROM users ORDER BY created_at, id OFFSET $1 LIMIT 1",
            depth_users,
        )
        middle = await content.fetchval(
            "SELECT id FROM posts ORDER BY date_posted DESC, id DESC OFFSET $1 LIMIT 1",
            dataset.size // 2,
        )
    finally:
        await content.close()
        await auth.close()
    return {
        "posts_cursor": encode_cursor((post["date_posted"], post["id"])),
        "users_cursor": encode_cursor((user["created_at"], user["id"])),
        "author": dataset.author_id(7),
        "post": str(middle),
    }


async def forget_creates(dataset: Dataset) -> None:
    """The posts the create runs wrote: the seeded database stays the same size."""
    conn = await asyncpg.connect(dataset.dsn("content"))
    try:
        await conn.execute("DELETE FROM posts WHERE title = $1", CREATE_TITLE)
    finally:
        await conn.close()


# -- what is measured ----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    targets: tuple[str, ...]
    method: str = "GET"
    auth: str | None = None
    """``user`` or ``admin``: the bearer token sent."""
    service: str = "content"
    """Which service answers it (``service`` target: straight to it)."""


def endpoints(where: dict[str, str]) -> list[Endpoint]:
    both = ("service", "gateway")
    return [
        Endpoint("posts first page", "/api/posts?limit=10", (*both, "floor")),
        Endpoint(
            "posts at 90% depth", f"/api/posts?limit=10&cursor={where['posts_cursor']}", TARGETS
        ),
        Endpoint("author's page", f"/api/users/{where['author']}/posts?limit=10", both),
        Endpoint("one post", f"/api/posts/{where['post']}", both),
        Endpoint("create post", "/api/posts", both, method="POST", auth="user"),
        Endpoint("users first page", "/api/admin/users?limit=10", both, "GET", "admin", "auth"),
        Endpoint(
            "users at 90% depth",
            f"/api/admin/users?limit=10&cursor={where['users_cursor']}",
            both,
            "GET",
            "admin",
            "auth",
        ),
        Endpoint("posts with total=true", "/api/posts?limit=10&total=true", ("service",)),
        Endpoint("posts at skip=1000", "/api/posts?limit=10&skip=1000", ("service",)),
    ]


def wrk_script(endpoint: Endpoint, token: str) -> str:
    lines = [f'wrk.method = "{endpoint.method}"']
    headers = {"Content-Type": "application/json"} if endpoint.method == "POST" else {}
    if endpoint.auth:
        headers["Authorization"] = f"Bearer {token}"
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    if endpoint.method == "POST":
        body = json.dumps({"title": CREATE_TITLE, "content": "lorem ipsum " * 16})
        lines.append(f"wrk.body = {json.dumps(body)}")
    return "\n".join(lines) + "\n" + WRK_REPORT


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used (``/proc/<pid>/stat``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def measure(
    dataset: Dataset,
    bases: dict[str, str],
    pids: dict[str, list[int]],
    tokens: dict[str, str],
    seconds: float,
    conns: int,
) -> list[dict[str, Any]]:
    where = asyncio.run(positions(dataset))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for endpoint in endpoints(where):
            script = Path(tmp) / "script.lua"
            script.write_text(wrk_script(endpoint, tokens.get(endpoint.auth or "", "")))
            for target in endpoint.targets:
                base = bases[endpoint.service] if target == "service" else bases[target]
                url = base + endpoint.path
                # The CPU the answering processes spend per request: unlike latency, hardly
                # moved by what else runs on the machine.
                answering = [*pids.get(target, []), *pids[endpoint.service]]
                if target == "floor":
                    answering = pids["floor"]
                wrk(url, conns, 1, script)  # warm pools and caches
                before = cpu_seconds(answering)
                point = wrk(url, conns, seconds, script)
                cpu = cpu_seconds(answering) - before
                point["cpu_ms_per_request"] = 1000 * cpu / max(1, point["requests"])
                rows.append(
                    {"size": dataset.label, "endpoint": endpoint.name, "target": target, **point}
                )
                say(
                    f"  {dataset.label:>4}  {endpoint.name:<22} {target:<8} "
                    f"p50 {point['p50_ms']:7.2f} ms  p99 {point['p99_ms']:7.2f} ms  "
                    f"{point['rps']:6.0f} rps  CPU {point['cpu_ms_per_request']:.2f} ms/request"
                    + (f"  ({point['errors'] + point['non_2xx']} errors)" if _errors(point) else "")
                )
    return rows


def _errors(point: dict[str, Any]) -> int:
    return int(point["errors"] + point["non_2xx"])


def profile(
    supervisor: Supervisor, base: str, seconds: float, out: Path
) -> list[tuple[str, float]]:
    """py-spy samples the content service under the first page; (function, % of samples)."""
    child = supervisor.children["content"]
    assert child.proc is not None
    raw = out / "scale-profile.txt"
    spy = subprocess.Popen(  # noqa: S603 - py-spy from this environment
        [
            *(str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(child.proc.pid)),
            *("--duration", str(int(seconds)), "--rate", "500", "--format", "raw"),
            *("--output", str(raw), "--nonblocking"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "script.lua"
        script.write_text(WRK_REPORT)
        wrk(base + "/api/posts?limit=10", 1, seconds, script)
    spy.wait(seconds + 30)
    return top_frames(raw)


def top_frames(raw: Path, count: int = 15) -> list[tuple[str, float]]:
    """Where the samples end (the frame running), summed per package: ``(package, % of all)``.

    Inclusive shares only say that uvicorn's loop is under everything; the running frame says
    who spends the time (the event loop's own share is mostly waiting for the network).
    """
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        n = int(samples)
        total += n
        leaf = stack.rsplit(";", 1)[-1]
        where = leaf.rpartition("(")[2].split("/", 1)[0].split(":", 1)[0] or "(idle)"
        own[where] += n
    return [(where, 100 * n / total) for where, n in own.most_common(count)] if total else []


# -- the report ----------------------------------------------------------------------------------
def point(rows: list[dict[str, Any]], size: str, endpoint: str, target: str) -> dict[str, Any]:
    return next(
        (r for r in rows if (r["size"], r["endpoint"], r["target"]) == (size, endpoint, target)),
        {},
    )


def p50(rows: list[dict[str, Any]], size: str, endpoint: str, target: str) -> float | None:
    return point(rows, size, endpoint, target).get("p50_ms")


def _check(what: str, numerator: float | None, denominator: float | None, limit: float) -> list:
    if not (numerator and denominator):
        return []
    ratio = numerator / denominator
    return [
        {"what": what, "measured": round(ratio, 2), "target": f"<= {limit}", "met": ratio <= limit}
    ]


def verdicts(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets: flat p50 from the smallest to the largest size; the posts list
    within 2x of the floor (p50, and CPU per request: the figure the machine's load moves least)."""
    rows, sizes = result["rows"], result["sizes"]
    small, large = sizes[0], sizes[-1]
    checks = []
    for endpoint in RATIO_ENDPOINTS:
        checks += _check(
            f"{endpoint}: p50 {large}/{small}",
            p50(rows, large, endpoint, "service"),
            p50(rows, small, endpoint, "service"),
            TARGET_RATIO,
        )
    for endpoint in ("posts first page", "posts at 90% depth"):
        service, floor = (point(rows, large, endpoint, t) for t in ("service", "floor"))
        for key, label in (("p50_ms", "p50"), ("cpu_ms_per_request", "CPU per request")):
            checks += _check(
                f"{endpoint} at {large}: service / floor {label}",
                service.get(key),
                floor.get(key),
                TARGET_FLOOR_RATIO,
            )
    return checks


def table(result: dict[str, Any]) -> list[str]:
    rows, sizes = result["rows"], result["sizes"]
    head = ["endpoint", "via", *(f"{s} p50 / p99 ms" for s in sizes), f"{sizes[-1]}/{sizes[0]}"]
    head.append(f"CPU ms/request at {sizes[-1]}")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    keys = list(dict.fromkeys((r["endpoint"], r["target"]) for r in rows))
    for endpoint, target in keys:
        cells = [endpoint, target]
        for size in sizes:
            row = point(rows, size, endpoint, target)
            cells.append(f"{row['p50_ms']:.2f} / {row['p99_ms']:.2f}" if row else "")
        first, last = (p50(rows, s, endpoint, target) for s in (sizes[0], sizes[-1]))
        cells.append(f"{last / first:.2f}x" if first and last else "")
        cpu = point(rows, sizes[-1], endpoint, target).get("cpu_ms_per_request")
        cells.append(f"{cpu:.2f}" if cpu is not None else "")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def print_report(result: dict[str, Any]) -> None:
    machine = result["machine"]
    say(
        f"\nbench-scale {result['measured_at']}: {machine['cpus']} CPUs, load average "
        f"{_load(machine['load_average_at_start'])} at start, "
        f"{_load(machine['load_average_at_end'])} at end; wrk -c{result['settings']['connections']}"
        f" -d{result['settings']['seconds']:g}s per point\n"
    )
    for line in table(result):
        say(line)
    if result.get("seed"):
        say("\nSeeding (seconds; none: already seeded)")
        for size, seconds in result["seed"].items():
            say(f"  {size}: {seconds}")
    if result.get("profile"):
        say("\nProfile of the first page (py-spy: share of samples by the package running)")
        for frame, share in result["profile"]:
            say(f"  {share:5.1f} %  {frame}")
    say("\nTargets")
    for check in result["targets"]:
        status = "met   " if check["met"] else "MISSED"
        say(f"  {status} {check['what']}: {check['measured']} (target {check['target']})")


def _load(values: list[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, sizes = result["rows"], result["sizes"]
    keys = [k for k in dict.fromkeys((r["endpoint"], r["target"]) for r in rows)]
    fig, ax = plt.subplots(figsize=(13, 6))
    width = 0.8 / len(sizes)
    for i, size in enumerate(sizes):
        values = [p50(rows, size, e, t) or 0 for e, t in keys]
        ax.bar(
            [j + (i - (len(sizes) - 1) / 2) * width for j in range(len(keys))],
            values,
            width,
            label=f"{size} rows",
        )
    ax.set_xticks(
        range(len(keys)), [f"{e}\n({t})" for e, t in keys], rotation=60, ha="right", fontsize=8
    )
    ax.set_ylabel("p50 latency, ms (log), one connection")
    ax.set_yscale("log")
    ax.legend()
    loads = result["machine"]["load_average_at_start"]
    fig.suptitle(
        f"Inkwell at scale — {result['measured_at']}, {result['machine']['cpus']} CPUs, "
        f"load {loads[0]:.1f} at start (shared machine)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# -- main ----------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SCALE_SIZES", "1k,100k,1m"))
    parser.add_argument(
        "--seconds", type=float, default=float(os.environ.get("BENCH_SCALE_SECONDS", "5"))
    )
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="py-spy on the largest size")
    parser.add_argument("--drop", action="store_true", help="drop the seeded databases and exit")
    parser.add_argument("--drop-after", action="store_true", help="drop them after measuring")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--replot", action="store_true", help="redraw from results/scale.json")
    args = parser.parse_args()
    datasets = [Dataset(label, scale_seed.SIZES[label]) for label in args.sizes.split(",")]
    if args.drop:
        asyncio.run(scale_seed.drop(datasets))
        say("dropped " + ", ".join(d.database(s) for d in datasets for s in ("auth", "content")))
        return 0
    if args.replot:
        saved = json.loads((args.out / "scale.json").read_text())
        print_report(saved)
        plot(saved, args.out / "scale.png")
        return 0

    ensure_tools({"wrk": "wrk"})
    args.out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": list(os.getloadavg()),
        },
        "settings": {"seconds": args.seconds, "connections": args.connections},
        "sizes": [d.label for d in datasets],
        "seed": {},
        "rows": [],
        "tools": {"wrk": version("wrk")},
    }
    for dataset in datasets:
        began = time.monotonic()
        seeded = scale_seed.prepare(dataset)
        result["seed"][dataset.label] = seeded
        say(f"{dataset.label}: databases ready in {time.monotonic() - began:.1f} s {seeded}")
        with running(dataset) as supervisor, running_floor(dataset) as (floor, floor_pid):
            config = supervisor.config
            bases = {name: config.url(name) for name in ("content", "auth")}
            bases |= {"gateway": config.gateway_url, "floor": floor}
            pids = {
                name: [child.proc.pid]
                for name, child in supervisor.children.items()
                if child.proc is not None
            }
            pids["floor"] = [floor_pid]
            admin = admin_token(config.gateway_url)
            tokens = {"user": admin, "admin": admin}
            result["rows"] += measure(dataset, bases, pids, tokens, args.seconds, args.connections)
            if args.profile and dataset is datasets[-1]:
                result["profile"] = profile(
                    supervisor, bases["content"], args.seconds * 2, args.out
                )
        asyncio.run(forget_creates(dataset))
    if args.drop_after:
        asyncio.run(scale_seed.drop(datasets))
    result["machine"]["load_average_at_end"] = list(os.getloadavg())
    result["targets"] = verdicts(result)
    print_report(result)
    (args.out / "scale.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(result, args.out / "scale.png")
    say(f"\nsaved {args.out / 'scale.json'} and scale.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
