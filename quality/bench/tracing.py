"""What tracing costs a request: p50 latency through the gateway for three stacks of the same
code, measured in interleaved rounds on the same machine:

- **baseline**: tracing absent. Every process starts with ``quality/bench/untraced`` on its
  path, whose ``sitecustomize`` makes the OpenTelemetry SDK, exporters and instrumentations
  unimportable (a process that tried would fail to start);
- **off**: today's code as shipped, ``OTEL_EXPORTER_OTLP_ENDPOINT`` unset;
- **on**: every process exporting OTLP to a local receiver (spans counted at the end).

Why not a checkout of the commit before tracing: that commit also lacks the metrics, the
access log and everything merged since, so its difference would measure those, not tracing.
Nothing of tracing runs with it off: ``inkwell_runtime.telemetry`` imports OpenTelemetry only
once tracing is on, and a request asks ``current_span()`` twice, which answers ``None``. The
OpenTelemetry API is imported in all three (and was before tracing existed): FastAPI imports it.

Two requests: ``GET /api/weather/{city}`` (gateway → weather, a cache hit: the hops alone) and
``GET /api/weather/me`` (gateway → weather → preferences → MongoDB). Each stack is the e2e
profile on the bench's own ports (``BENCH_PORT_BASE`` + 40, + 60, + 80), databases and
folders. Each round runs ``--requests`` sequential requests per path on each stack, the
stacks in a rotating order; the figures are the median of the rounds' p50s and their spread
(lowest..highest round). The verdict compares off with baseline round by round (a sign test:
off slower in 9 or 10 of 10 rounds is a cost; chance would do that 1 time in 93):

    ./tools/uv run python quality/bench/tracing.py [--rounds 10] [--requests 100] [--json PATH]
"""

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import AsyncExitStack, ExitStack, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx

from inkwell_devstack.config import StackConfig, side_stack
from inkwell_devstack.stack import Supervisor
from inkwell_e2e.flows import User, register
from inkwell_e2e.otlp import otlp_receiver

PORT_BASE = int(os.environ.get("BENCH_PORT_BASE", "19000")) + 40
PATHS = {
    "weather (cache hit)": "/api/weather/Oslo",
    "weather/me (+ preferences, Mongo)": "/api/weather/me",
}
VARIANTS = ("baseline", "off", "on")
WARMUP = 50
UNTRACED = Path(__file__).resolve().parent / "untraced"
SIGNIFICANT = 0.05
"""Off is called slower when it was slower in so many rounds that chance explains it less
than 1 time in 20 (10 rounds: 9 or 10 of them)."""

Rounds = dict[str, dict[str, list[float]]]
"""variant → path label → one p50 (ms) per round."""


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


@contextmanager
def running(name: str, port_base: int, env: Mapping[str, str]) -> Iterator[StackConfig]:
    config = side_stack(name, port_base, {"LOG_LEVEL": "WARNING", **env})
    supervisor = Supervisor(config, out=say)
    supervisor.up()
    try:
        yield config
    finally:
        supervisor.down()


async def prepare(client: httpx.AsyncClient) -> User:
    """A user with a saved city, and every path warmed up (connections, caches, JWKS)."""
    user = await register(client, "bench")
    saved = await client.put(
        "/api/users/me/preferences", json={"city": "Oslo"}, headers=user.headers
    )
    saved.raise_for_status()
    for path in PATHS.values():
        for _ in range(WARMUP):
            (await client.get(path, headers=user.headers)).raise_for_status()
    return user


async def batch(client: httpx.AsyncClient, user: User, path: str, requests: int) -> float:
    """p50 (ms) of ``requests`` sequential requests on one kept-alive connection."""
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = await client.get(path, headers=user.headers)
        elapsed = time.perf_counter() - started
        response.raise_for_status()
        times.append(elapsed * 1000)
    return statistics.median(times)


async def measure(urls: Mapping[str, str], rounds: int, requests: int) -> Rounds:
    results: Rounds = {variant: {label: [] for label in PATHS} for variant in urls}
    async with AsyncExitStack() as stack:
        clients = {
            variant: await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=30))
            for variant, url in urls.items()
        }
        users = {v: await prepare(client) for v, client in clients.items()}
        say(f"bench-tracing: measuring; load average {load()}")
        order = list(urls)
        for number in range(rounds):
            turn = order[number % len(order) :] + order[: number % len(order)]
            for variant in turn:
                for label, path in PATHS.items():
                    p50 = await batch(clients[variant], users[variant], path, requests)
                    results[variant][label].append(p50)
            say(f"  round {number + 1}/{rounds} done (order {', '.join(turn)})")
    return results


def run(rounds: int, requests: int) -> dict[str, Any]:
    began = time.monotonic()
    with ExitStack() as stack:
        receiver = stack.enter_context(otlp_receiver())
        marks = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="untraced-")))
        pythonpath = os.pathsep.join(filter(None, [str(UNTRACED), os.environ.get("PYTHONPATH")]))
        envs = {
            "baseline": {"PYTHONPATH": pythonpath, "BENCH_UNTRACED_MARKS": str(marks)},
            "off": {},
            "on": {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint},
        }
        urls = {}
        for offset, variant in enumerate(VARIANTS):
            name = f"benchtrace{variant}"
            config = stack.enter_context(running(name, PORT_BASE + 20 * offset, envs[variant]))
            urls[variant] = config.gateway_url
        hooked = len(list(marks.iterdir()))
        if hooked < 6:  # the gateway and the five services at least
            raise SystemExit(f"the baseline's start-up hook ran in {hooked} processes only")
        started = load()
        figures = anyio.run(measure, urls, rounds, requests)
        return {
            "rounds": figures,
            "load before": started,
            "load after": load(),
            "spans received": len(receiver.spans),
            "baseline processes hooked": hooked,
            "seconds": round(time.monotonic() - began),
        }


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}..{max(values):.2f}"


def slower_odds(slower: int, rounds: int) -> float:
    """One-sided sign test: the chance of off being slower in at least ``slower`` of
    ``rounds`` rounds if tracing off cost nothing (each round a coin toss)."""
    return sum(math.comb(rounds, k) for k in range(slower, rounds + 1)) / 2**rounds


def report(results: dict[str, Any], rounds: int, requests: int) -> None:
    figures: Rounds = results["rounds"]
    print(
        f"tracing: baseline (absent) vs off vs on; {rounds} interleaved rounds of {requests} "
        "sequential requests per path; p50 ms = median of the rounds' p50s [lowest..highest]"
    )
    print(f"load average (1/5/15 min): {results['load before']} -> {results['load after']}")
    print(f"{'path':<36} {'baseline':>20} {'off':>20} {'on':>20}")
    costly, resolution = [], []
    for label in PATHS:
        cells = []
        for variant in VARIANTS:
            values = figures[variant][label]
            cells.append(f"{statistics.median(values):6.2f} [{spread(values)}]")
        print(f"{label:<36} {cells[0]:>20} {cells[1]:>20} {cells[2]:>20}")
        base = figures["baseline"][label]
        off = [o - b for o, b in zip(figures["off"][label], base, strict=True)]
        on = [o - b for o, b in zip(figures["on"][label], base, strict=True)]
        added = statistics.median(off)
        slower = sum(d > 0 for d in off)
        odds = slower_odds(slower, len(off))
        print(
            f"{'':<4}added p50, round by round: off {added:+.3f} ms [{spread(off)}] "
            f"({100 * added / statistics.median(base):+.1f} %; slower in {slower}/{len(off)} "
            f"rounds, sign test p={odds:.3f}); on {statistics.median(on):+.3f} ms [{spread(on)}]"
        )
        resolution.append(f"{label} {added:+.3f} ms [{spread(off)}]")
        if odds < SIGNIFICANT:
            costly.append(f"{label} {added:+.3f} ms (p={odds:.3f})")
    print(
        f"spans received with tracing on: {results['spans received']}; "
        f"baseline processes without the SDK: {results['baseline processes hooked']}; "
        f"{results['seconds']} s in all (the three stacks' start included)"
    )
    if costly:
        print(
            f"VERDICT: tracing off looks slower than baseline: {'; '.join(costly)}; "
            "re-run on a quiet machine before believing it"
        )
    else:
        print(
            "VERDICT: tracing off costs nothing measurable: off was no more often slower than "
            f"the baseline than chance allows (sign test, p >= {SIGNIFICANT}) on every path; "
            f"off - baseline by round: {'; '.join(resolution)} (the narrower, the finer the claim)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=100, help="per path, stack and round")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    results = run(args.rounds, args.requests)
    report(results, args.rounds, args.requests)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
