"""A throwaway ``redis-server`` (Debian's package): for tests and the dev stack's ``--redis``.

Nothing is saved (``--save ''``, no append-only file): every start begins empty, and a Redis
already running on the machine (6379) is never touched.
"""

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

HOST = "127.0.0.1"


def redis_server_argv(host: str, port: int) -> list[str]:
    """The command line of a throwaway server on ``host:port``."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError(
            "redis-server is not installed (Debian/Ubuntu: apt-get install redis-server)"
        )
    return [binary, "--bind", host, "--port", str(port), "--save", "", "--appendonly", "no"]


def ping(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether a Redis server answers ``PING`` on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port(host: str = HOST) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def redis_server(host: str = HOST, start_timeout: float = 10.0) -> Iterator[str]:
    """A running throwaway server on a free port; yields its ``redis://`` URL."""
    port = free_port(host)
    proc = subprocess.Popen(  # noqa: S603 (a fixed command line)
        redis_server_argv(host, port), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + start_timeout
        while not ping(host, port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on {host}:{port}")
            time.sleep(0.05)
        yield f"redis://{host}:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def redis_fixture() -> Any:
    """A module-scoped fixture: a throwaway server for the module's tests, as its URL
    (``redis_url = redis_fixture()`` in a test module)."""

    @pytest.fixture(scope="module")
    def redis_url() -> Iterator[str]:
        with redis_server() as url:
            yield url

    return redis_url
