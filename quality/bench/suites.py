"""``make bench``, part 3: the speed of the in-process suites (``make test`` as CI runs it)."""

import json
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from loadgen import ROOT, say

from contracts.registry import current
from inkwell_devstack.generate import suites

SUITES = tuple(suites(current()))
"""The in-process suites (the Makefile's SUITES, from the registry): ``make test`` runs them."""


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
