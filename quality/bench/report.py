"""``make bench``: the targets, the printed report and the plot."""

from pathlib import Path
from typing import Any

from loadgen import say

ENDPOINTS = {
    "posts": ("content", "/api/posts?limit=10"),
    "jwks": ("auth", "/api/auth/jwks.json"),
}
TARGETS = ("direct", "gateway", "nginx")

TARGET_GATEWAY_ADDED_P50_MS = 1.0
TARGET_RPS_RATIO = 0.5
TARGET_UPLOAD_RSS_MIB = 5.0
TARGET_SUITES_SECONDS = 30.0


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
