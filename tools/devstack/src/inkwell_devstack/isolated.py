"""``make lint``'s package check: every service (and the gateway) builds its app with nothing
but its own declared dependencies installed, as in its image.

The workspace's venv holds every package's dependencies at once, so a service importing what
only another one declares (weather once imported the runtime's ``limits`` helpers: the gateway's
and auth's extra) passes every in-process suite and fails only when its container starts. Here
each package gets a venv of its own (``uv sync --frozen --no-dev --package``, from uv's cache:
seconds), and its app factory is imported and called there.

    python -m inkwell_devstack.isolated [--keep DIR]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from contracts.registry import current
from inkwell_devstack.config import find_root

GATEWAY = ("gateway", "gateway.main")


def packages() -> list[tuple[str, str]]:
    """(uv package, module holding ``create_app``) for each service and the gateway."""
    return [(s.package, f"{s.module}.main") for s in current()] + [GATEWAY]


def check(root: Path, package: str, module: str, venv: Path) -> str | None:
    """None when ``module.create_app()`` builds in a venv of ``package``'s own dependencies;
    otherwise what failed."""
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv)}
    synced = subprocess.run(
        [str(root / "tools" / "uv"), "sync", "-q", "--frozen", "--no-dev", "--package", package],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    if synced.returncode != 0:
        return f"uv sync failed: {synced.stderr.strip()[-500:]}"
    script = f"import {module} as m; m.create_app()"
    # ENVIRONMENT=test: the settings' development defaults are accepted, nothing is reached
    built = subprocess.run(
        [str(venv / "bin" / "python"), "-c", script],
        cwd=root,
        env={**os.environ, "ENVIRONMENT": "test"},
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        return built.stderr.strip().splitlines()[-1] if built.stderr.strip() else "failed"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build the venvs here and keep them")
    args = parser.parse_args(argv)
    root = find_root()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="inkwell-isolated-") as scratch:
        base = args.keep or Path(scratch)
        for package, module in packages():
            began = time.monotonic()
            problem = check(root, package, module, base / package)
            took = time.monotonic() - began
            if problem is None:
                print(
                    f"  ✓ {package:<22} {module}.create_app(), its own dependencies only"
                    f" ({took:.1f}s)"
                )
            else:
                failures += 1
                print(f"  ✗ {package:<22} {problem}")
    if failures:
        print(f"{failures} package(s) need what they do not declare (pyproject.toml)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
