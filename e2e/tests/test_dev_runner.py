"""``make dev`` itself (``python -m inkwell_devstack.dev``): one command brings the system up,
a second start or a taken port is reported plainly, and Ctrl-C leaves no process behind.

These run next to the suite's own local stack (``E2E_STACK=local``), which they use as the
"already running" stack and as the holder of the taken ports.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from contracts.registry import REGISTRY
from inkwell_devstack.config import conventional_ports
from inkwell_e2e.systems import System

COMPONENTS = tuple(conventional_ports(REGISTRY))
"""Everything the runner may start: the gateway, the services, every stand-in (mail, S3, ...)."""


def free_ports() -> dict[str, int]:
    """One port per component, each one the OS says is free (never a scan of a fixed range)."""
    sockets = []
    try:
        for _ in COMPONENTS:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return {name: s.getsockname()[1] for name, s in zip(COMPONENTS, sockets, strict=True)}
    finally:
        for sock in sockets:
            sock.close()


START_SECONDS = 180.0


@pytest.fixture
def local(system: System) -> System:
    if system.supervisor is None:
        pytest.skip("tests of the local runner need E2E_STACK=local")
    return system


def dev_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("INKWELL_")
        and key not in {"DATABASE_URL", "MONGO_URL", "WEATHER_API_URL"}
    }
    env.update(
        INKWELL_DATA_DIR=str(tmp_path / "data"),
        INKWELL_RUN_DIR=str(tmp_path / "run"),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def run_dev(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inkwell_devstack.dev", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def processes_using(ports: set[str]) -> list[str]:
    """Command lines of live processes that were given one of ``ports`` as an argument."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(arg.decode(errors="replace") in ports for arg in argv):
            found.append(" ".join(a.decode(errors="replace") for a in argv))
    return found


def test_a_second_start_says_one_is_running(local: System, tmp_path: Path) -> None:
    assert local.supervisor is not None
    env = dev_env(tmp_path, INKWELL_RUN_DIR=str(local.supervisor.config.run_dir))
    result = run_dev(env)
    assert result.returncode == 1
    assert "already running" in result.stderr
    assert f"pid {os.getpid()}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_taken_port_is_reported_by_name(local: System, tmp_path: Path) -> None:
    """The suite's own stack holds these ports: the runner names each one, starts nothing."""
    assert local.supervisor is not None
    ports = local.supervisor.config.ports
    env = dev_env(tmp_path, INKWELL_PORT_BASE=str(ports["gateway"]))
    result = run_dev(env)
    assert result.returncode == 1
    assert f"port {ports['gateway']} (gateway)" in result.stderr
    assert f"port {ports['auth']} (auth)" in result.stderr
    assert f"port {ports['mongo']} (mongo)" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing was started or created


def test_dev_brings_everything_up_and_ctrl_c_stops_it_all(local: System, tmp_path: Path) -> None:
    """The README's command, for real: every /readyz green, then SIGINT leaves nothing behind."""
    assert local.supervisor is not None
    config = local.supervisor.config
    chosen = free_ports()
    base = chosen["gateway"]
    env = dev_env(
        tmp_path,
        **{f"INKWELL_{name.upper().replace('-', '_')}_PORT": str(p) for name, p in chosen.items()},
        INKWELL_WEATHER_STUB="1",
        # The suite's databases are migrated already: no need to touch a developer's.
        AUTH_DATABASE_URL=config.database_urls["auth"],
        CONTENT_DATABASE_URL=config.database_urls["content"],
    )
    out = tmp_path / "dev.out"
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "inkwell_devstack.dev"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    ports = {str(port) for port in chosen.values()}
    try:
        deadline = time.monotonic() + START_SECONDS
        while "Ctrl-C stops everything" not in out.read_text() and proc.poll() is None:
            assert time.monotonic() < deadline, f"not up in {START_SECONDS}s:\n{out.read_text()}"
            time.sleep(0.2)
        printed = out.read_text()
        assert proc.poll() is None, printed
        rows = printed[printed.index("NAME") :].splitlines()[1:]
        for row, path in zip(rows, ("/", "/docs", "/redoc"), strict=False):
            url = re.escape(f"http://127.0.0.1:{base}{path}")
            assert re.fullmatch(
                rf"\s*(web client|docs|redoc)\s+{url}\s+ok \([1-9]\d* assets\)", row
            )
        for name in ("gateway", "auth", "content", "preferences", "media", "weather"):
            assert any(re.fullmatch(rf"\s*{name}\s+http://\S+\s+ready", row) for row in rows), name
        assert httpx.get(f"http://127.0.0.1:{base}/readyz").status_code == 200
        assert processes_using(ports), "the children should be running"
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    assert code == 0, out.read_text()
    assert "inkwell dev: stopped" in out.read_text()
    assert processes_using(ports) == []
