"""Fuzzing every service's OpenAPI with schemathesis, in process, against real stores.

schemathesis runs each app in its own event-loop thread (its ASGI transport starts the app's
lifespan once), so the apps open their own database engines there. The fuzz suites therefore
use committed databases of their own (``inkwell_test_fuzz_<service>``), emptied at the start
of a run, never the rollback fixture of the in-process suites.

The schemas are loaded when the test modules are imported (schemathesis' lazy
``from_fixture`` loader does not support pytest 9 yet); building an app does no I/O, and the
stores are prepared by fixtures before the first request.

``FUZZ_MAX_EXAMPLES`` bounds the examples per operation (CI keeps it small);
``FUZZ_DETERMINISTIC=1`` makes a run repeatable.
"""

import asyncio
import atexit
import os
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from typing import Any

import schemathesis
from schemathesis import Case
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from inkwell_testing.postgres import suite_database_url

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    negative_data_rejection,
]
"""No 5xx; every response matches its documented schema, status code and media type; input
that breaks the schema is refused with a 4xx."""


def database_url(suite: str) -> str:
    """This fuzz suite's own database on the test server (created when missing)."""
    return asyncio.run(suite_database_url(suite))


def reset_tables(url: str, metadata: MetaData) -> None:
    """Drop and re-create the service's tables: every run starts from empty stores."""

    async def reset() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(metadata.drop_all)
                await conn.run_sync(metadata.create_all)
        finally:
            await engine.dispose()

    asyncio.run(reset())


def generation_options() -> dict[str, Any]:
    """No example database on disk; ``FUZZ_DETERMINISTIC=1``: the same examples every run."""
    return {"database": "none", "deterministic": os.environ.get("FUZZ_DETERMINISTIC") == "1"}


def load_schema(app: Any) -> schemathesis.BaseSchema:
    """The app's live OpenAPI, with bounded generation of valid and invalid examples."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.generation.update(max_examples=MAX_EXAMPLES, **generation_options())
    return schema


STATUSES: dict[str, Counter[str]] = defaultdict(Counter)
"""Per operation, how many answers of each status class the run saw (printed at the end)."""


def call_and_check(
    case: Case, headers: dict[str, str] | None = None, checks: list[CheckFunction] = CHECKS
) -> None:
    response = case.call(headers=headers)
    service = (case.operation.schema.title or "").removeprefix("Inkwell ")
    label = f"{service}: {case.operation.method.upper()} {case.operation.path}"
    STATUSES[label][f"{response.status_code // 100}xx"] += 1
    case.validate_response(response, checks=checks, headers=headers)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """What the fuzzing reached: an operation never answered 2xx was only fuzzed at its edges."""
    if not STATUSES:
        return
    write = terminalreporter.write_line
    terminalreporter.section("fuzz: answers per operation")
    never_ok = 0
    for label, counts in sorted(STATUSES.items()):
        never_ok += not counts["2xx"]
        shown = "  ".join(f"{k} {counts[k]:>4}" for k in ("2xx", "3xx", "4xx", "5xx") if counts[k])
        write(f"{label:<60} {shown}")
    write(
        f"{len(STATUSES)} operations, {sum(map(sum, [c.values() for c in STATUSES.values()]))} "
        f"requests; {never_ok} never answered 2xx"
    )


def free_port() -> int:
    """A local port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Background:
    """A helper process for a fuzz module (a store stand-in), stopped when the run ends."""

    def __init__(self, argv: list[str], ready: str, timeout: float = 60.0) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own venv's python, fixed arguments
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith(ready):
                self.line = line.strip()
                return
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"{argv} did not print {ready!r} in {timeout} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def mongo_server() -> str:
    """A mongoeco wire server in memory, as a process; its URI."""
    server = Background(
        [sys.executable, "-m", "inkwell_testing.mongo", "--port", str(free_port())],
        ready="ready: ",
    )
    return server.line.split()[1]


def assert_hostile_corpus_refused(app: Any, headers: dict[str, str] | None = None) -> None:
    """Every request of the hostile corpus (``hostile.py``) to every operation of ``app``
    gets a 4xx; the app runs in a client of its own (``TestClient`` starts its lifespan)."""
    from starlette.testclient import TestClient

    from .hostile import send_corpus

    with TestClient(app, base_url="http://service.test", raise_server_exceptions=False) as client:
        wrong = send_corpus(client, app.openapi(), headers or {})
    assert wrong == [], "\n".join(wrong)
