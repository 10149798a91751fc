"""Graceful drain (``inkwell_runtime.drain``), through a real ``python -m inkwell_runtime.serve``
process: after SIGTERM ``/readyz`` is 503 and responses say ``Connection: close`` while the
listener stays open; the listener closes after the drain; a request in flight still gets its 200;
then the process exits."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest
import uvicorn

from inkwell_runtime.app import build_app
from inkwell_runtime.drain import DrainingServer, begin, is_draining
from inkwell_runtime.health import readiness_router
from inkwell_runtime.settings import ServiceSettings
from inkwell_testing.apps import served

TESTS = Path(__file__).parent
WAIT_SECONDS = 30.0  # an upper bound for the process to act, never a measured duration


def eventually(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"still not {what} after {WAIT_SECONDS}s")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def refuses(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.ConnectError:
        return True
    except httpx.RemoteProtocolError:
        # accepted just as the listener closed, then dropped unanswered: not refused yet, so
        # ask again (the next connection is refused once the listener is gone)
        return False
    return False


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    folder: Path


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[Callable[[float], Served]]:
    processes: list[subprocess.Popen[bytes]] = []

    def start(drain_seconds: float) -> Served:
        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
            "DRAIN_TEST_DIR": str(tmp_path),
            "SHUTDOWN_DRAIN_SECONDS": str(drain_seconds),
            "LOG_LEVEL": "WARNING",
        }
        argv = [sys.executable, "-m", "inkwell_runtime.serve", "drain_app:create_app"]
        process = subprocess.Popen([*argv, "--port", str(port)], env=env)  # noqa: S603
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        eventually("serving", lambda: process.poll() is None and answers(url + "/healthz"))
        return Served(url, process, tmp_path)

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_sigterm_drains_then_closes_and_the_request_in_flight_finishes(
    serving: Callable[[float], Served],
) -> None:
    # a long drain, ended by a second SIGTERM: the test, not a clock, says when it is over
    app = serving(600)
    assert httpx.get(app.url + "/readyz").status_code == 200
    hold = app.folder / "hold"
    hold.touch()
    with ThreadPoolExecutor(1) as pool, httpx.Client(base_url=app.url, timeout=60) as client:
        in_flight = pool.submit(client.get, "/slow")
        eventually("in the handler", (app.folder / "started").exists)

        app.process.send_signal(signal.SIGTERM)
        eventually("draining", lambda: httpx.get(app.url + "/readyz").status_code == 503)
        draining = httpx.get(app.url + "/readyz")
        assert draining.json() == {
            "status": "not ready",
            "checks": {"shutdown": "down"},
            "details": {},
        }
        assert draining.headers["connection"] == "close"
        # still serving while draining: the listener is open, liveness holds
        alive = httpx.get(app.url + "/healthz")
        assert (alive.status_code, alive.headers["connection"]) == (200, "close")
        assert app.process.poll() is None

        app.process.send_signal(signal.SIGTERM)  # the drain is over: the listener closes
        eventually("refusing connections", lambda: refuses(app.url + "/healthz"))
        assert app.process.poll() is None  # waiting for the request in flight
        assert not in_flight.done()

        hold.unlink()
        response = in_flight.result(timeout=WAIT_SECONDS)
    assert (response.status_code, response.json()) == (200, {"status": "finished"})
    assert app.process.wait(timeout=WAIT_SECONDS) == -signal.SIGTERM  # exits as SIGTERM asks


@pytest.mark.anyio
async def test_a_draining_app_is_not_ready_and_closes_every_connection() -> None:
    """In process: the app's flag alone decides (no checks asked once it drains)."""
    asked: list[str] = []

    async def check(_request: object) -> None:
        asked.append("db")

    app = build_app(ServiceSettings(), name="t", description="")
    app.include_router(readiness_router({"db": check}, timeout=1))
    async with served(app) as client:
        ready = await client.get("/readyz")
        assert (ready.status_code, "connection" in ready.headers) == (200, False)
        begin(app)
        response = await client.get("/readyz")
        missing = await client.get("/nowhere")
    assert response.status_code == 503
    assert response.json()["checks"] == {"shutdown": "down"}
    assert asked == ["db"]  # the draining answer asked nothing
    assert (missing.status_code, missing.headers["connection"]) == (404, "close")


@pytest.mark.anyio
async def test_the_server_closes_after_the_drain_or_at_a_second_signal() -> None:
    """DrainingServer's decisions in process (the subprocess test above runs them for real)."""
    app = build_app(ServiceSettings(), name="t", description="")
    server = DrainingServer(uvicorn.Config(app), app=app, drain_seconds=600)
    server.handle_exit(signal.SIGTERM, None)
    assert is_draining(app)
    assert not server.should_exit  # draining: the listener stays open
    assert not await server.on_tick(1)
    server.handle_exit(signal.SIGTERM, None)  # a second SIGTERM: now
    assert server.should_exit

    quick = DrainingServer(uvicorn.Config(app), app=app, drain_seconds=0.01)
    quick.handle_exit(signal.SIGTERM, None)
    assert not quick.should_exit
    await anyio.sleep(0.02)
    assert await quick.on_tick(1)  # the drain is over: uvicorn's shutdown begins
    ctrl_c = DrainingServer(uvicorn.Config(app), app=app, drain_seconds=600)
    ctrl_c.handle_exit(signal.SIGINT, None)
    assert ctrl_c.should_exit  # Ctrl-C does not wait
