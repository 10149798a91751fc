"""The stack's children: how each is started, probed, and stopped (with its whole group)."""

import asyncio
import concurrent.futures
import contextlib
import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

GRACE_SECONDS = 10.0
LOG_TAIL_LINES = 25


# -- probes ------------------------------------------------------------------------------------
Probe = Callable[[httpx.Client], bool]


def http_probe(url: str) -> Probe:
    """Ready when ``url`` answers 200."""

    def probe(client: httpx.Client) -> bool:
        try:
            return client.get(url).status_code == 200
        except httpx.HTTPError:
            return False

    return probe


def mongo_probe(uri: str) -> Probe:
    """Ready when the server answers ``ping`` (mongoeco has no ``buildinfo``)."""

    def probe(_: httpx.Client) -> bool:
        from pymongo import MongoClient

        client: MongoClient[dict[str, Any]] = MongoClient(
            uri, serverSelectionTimeoutMS=500, connectTimeoutMS=500
        )
        try:
            client.admin.command("ping")
        except Exception:
            return False
        finally:
            client.close()
        return True

    return probe


# -- children ----------------------------------------------------------------------------------
@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    address: str
    """Where users reach it (shown in the table)."""
    what: str
    """What it is (shown in progress lines)."""
    probe: Probe
    port: int | None
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    stopped_on_purpose: bool = False
    reported_exit: bool = False

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to SIGTERM the child when its parent thread dies."""
    if not sys.platform.startswith("linux"):
        return None  # pragma: no cover
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1

    def preexec() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)

    return preexec


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        content = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no log)"
    return "\n".join("    | " + line for line in content[-lines:]) or "    | (empty log)"


def module_available(factory: str) -> bool:
    module = factory.partition(":")[0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def ports_in_use(children: Iterable[Child], host: str) -> list[Child]:
    """Children whose port cannot be bound (uvicorn binds with SO_REUSEADDR too)."""
    taken = []
    for child in children:
        if child.port is None:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, child.port))
            except OSError:
                taken.append(child)
    return taken


def run_coroutine(coro: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run`` in a thread of its own: safe even when the caller has a running loop."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def terminate(children: list[Child], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM each child's whole group, wait up to ``grace``, then SIGKILL what is left.

    Only children not reaped yet are signalled: once reaped, a pid may belong to someone else.
    """
    live = [c for c in children if c.proc is not None and c.proc.returncode is None]
    for child in live:
        assert child.proc is not None
        kill_group(child.proc, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in live:
        assert child.proc is not None
        try:
            child.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            kill_group(child.proc, signal.SIGKILL)
            child.proc.wait()
        # Anything the child left in its group (it leads the group: pgid == its pid).
        kill_group(child.proc, signal.SIGKILL)


def kill_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
