"""Shared by every suite in the repository: fixtures from the test kit (inkwell_testing)."""

import os
import sys

import pytest

from inkwell_testing.plugin import anyio_backend, signer

__all__ = ["anyio_backend", "signer"]

GREENLETS_UNMEASURED = (
    "greenlet was imported, but coverage ran with COV_CONCURRENCY=thread: "
    "add this suite to GREENLET_SUITES in the Makefile"
)


def _greenlets_unmeasured() -> bool:
    """``make test-<suite>`` sets ``COV_CONCURRENCY=thread`` for suites outside
    ``GREENLET_SUITES`` (Makefile): code run on greenlets (SQLAlchemy's asyncio layer) would then
    be misattributed by coverage."""
    return os.environ.get("COV_CONCURRENCY") == "thread" and "greenlet" in sys.modules


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _greenlets_unmeasured():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _greenlets_unmeasured():
        terminalreporter.write_line(GREENLETS_UNMEASURED, red=True)
