"""What the benchmarks share: the load generator, wrk (Debian's), reporting through a Lua
``done`` hook as one JSON line, so figures are read from wrk's own histogram, not parsed from
text; and how they print."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def say(line: str) -> None:
    print(line, flush=True)


WRK_REPORT = """\
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, '
    .. '"write_errors": %d, "timeouts": %d, "non_2xx": %d, "p50_us": %d, "p90_us": %d, '
    .. '"p99_us": %d, "mean_us": %.1f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean))
end
"""


def ensure_tools(packages: Mapping[str, str]) -> None:
    """Tools from Debian (tool name → package), installed when missing (root only)."""
    missing = [pkg for tool, pkg in packages.items() if not which(tool)]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(
            f"bench needs {' and '.join(missing)}: sudo apt-get install -y {' '.join(missing)}"
        )
    print(f"installing {' '.join(missing)} from Debian ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    if subprocess.run(apt, env=env, capture_output=True).returncode != 0:  # noqa: S603
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=True)  # noqa: S607
        subprocess.run(apt, env=env, capture_output=True, check=True)  # noqa: S603


def version(tool: str) -> str:
    done = subprocess.run(  # noqa: S603 - a Debian tool found on PATH
        [which(tool) or tool, "-v"], capture_output=True, text=True
    )
    return (done.stdout + done.stderr).strip().splitlines()[0]


def which(tool: str) -> str | None:
    return shutil.which(tool) or next(
        (str(p) for p in (Path("/usr/sbin") / tool, Path("/usr/bin") / tool) if p.exists()), None
    )


def wrk(url: str, connections: int, seconds: float, script: Path) -> dict[str, Any]:
    """One wrk run; ``script`` ends with :data:`WRK_REPORT` (it may set a method and body)."""
    threads = 1 if connections < 4 else 2
    out = subprocess.run(  # noqa: S603
        [
            which("wrk") or "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH "))
    raw = json.loads(line.removeprefix("BENCH "))
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "mean_ms": raw["mean_us"] / 1000,
        "requests": raw["requests"],
        "errors": errors,
        "non_2xx": raw["non_2xx"],
    }
