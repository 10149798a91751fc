"""What tracing costs a request: p50 latency through the gateway with tracing off, then on
(every process exporting OTLP to a local receiver), on the same machine, one after the other.

Two requests: ``GET /api/weather/{city}`` (gateway → weather, a cache hit: the hops alone) and
``GET /api/weather/me`` (gateway → weather → preferences → MongoDB). Each stack is the e2e
profile on the bench's own ports (``BENCH_PORT_BASE`` + 40), databases and folders. Sequential
requests, after a warm-up; the figures are printed (and written with ``--json PATH``):

    ./tools/uv run python quality/bench/tracing.py [--requests 400]

Off means no provider and no instrumentation at all (``OTEL_EXPORTER_OTLP_ENDPOINT`` unset);
the metrics middleware and the access log run in both.
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx

from inkwell_devstack.config import StackConfig, side_stack
from inkwell_devstack.stack import Supervisor
from inkwell_e2e.flows import register
from inkwell_e2e.otlp import Receiver, otlp_receiver

PORT_BASE = int(os.environ.get("BENCH_PORT_BASE", "19000")) + 40
PATHS = {
    "weather (cache hit)": "/api/weather/Oslo",
    "weather/me (+ preferences, Mongo)": "/api/weather/me",
}
WARMUP = 30


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextmanager
def running(name: str, env: Mapping[str, str]) -> Iterator[StackConfig]:
    config = side_stack(name, PORT_BASE, {"LOG_LEVEL": "WARNING", **env})
    supervisor = Supervisor(config, out=say)
    supervisor.up()
    try:
        yield config
    finally:
        supervisor.down()


async def measure(gateway_url: str, requests: int) -> dict[str, float]:
    """p50 (and p90) milliseconds of each path, sequential requests on one kept-alive client."""
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
        user = await register(client, "bench")
        saved = await client.put(
            "/api/users/me/preferences", json={"city": "Oslo"}, headers=user.headers
        )
        saved.raise_for_status()
        figures: dict[str, float] = {}
        for label, path in PATHS.items():
            times = []
            for i in range(WARMUP + requests):
                started = time.perf_counter()
                response = await client.get(path, headers=user.headers)
                elapsed = time.perf_counter() - started
                response.raise_for_status()
                if i >= WARMUP:
                    times.append(elapsed * 1000)
            figures[f"{label} p50"] = statistics.median(times)
            figures[f"{label} p90"] = statistics.quantiles(times, n=10)[-1]
    return figures


def run(requests: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with running("benchtraceoff", {}) as config:
        results["off"] = anyio.run(measure, config.gateway_url, requests)
    receiver: Receiver
    with otlp_receiver() as receiver:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}
        with running("benchtraceon", env) as config:
            results["on"] = anyio.run(measure, config.gateway_url, requests)
        results["spans received"] = len(receiver.spans)
    return results


def report(results: dict[str, Any], requests: int) -> None:
    print(f"tracing off vs on, {requests} sequential requests per path (p50 / p90, ms)")
    print(f"{'path':<36} {'off p50':>8} {'on p50':>8} {'added':>8} {'off p90':>8} {'on p90':>8}")
    for label in PATHS:
        off50, on50 = results["off"][f"{label} p50"], results["on"][f"{label} p50"]
        off90, on90 = results["off"][f"{label} p90"], results["on"][f"{label} p90"]
        print(f"{label:<36} {off50:8.2f} {on50:8.2f} {on50 - off50:+8.2f} {off90:8.2f} {on90:8.2f}")
    print(f"spans received with tracing on: {results['spans received']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    results = run(args.requests)
    report(results, args.requests)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
