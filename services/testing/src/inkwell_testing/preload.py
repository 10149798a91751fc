"""Import a suite's heavy third-party modules before coverage starts: a pytest plugin.

Coverage measures only Inkwell's own packages, but from the moment it starts it traces every
Python call, imports included: the module bodies of FastAPI, SQLAlchemy, boto3, moto, Pillow or
mongoeco run two to three times slower under it (~1 s per suite). Named with ``-p`` on the
command line, this plugin is imported before pytest-cov starts coverage, so those modules are
already loaded when the suite imports them; what coverage measures does not change.

``INKWELL_TEST_PRELOAD``: the modules, separated by spaces (``make test-<suite>`` sets it). An
Inkwell package listed there is refused: imported before coverage starts, it would not be
measured.
"""

import importlib
import os

import pytest

ENV = "INKWELL_TEST_PRELOAD"
FIRST_PARTY = {"inkwell_runtime", "inkwell_testing", "contracts", "gateway", "inkwell_e2e"}


def _is_first_party(name: str) -> bool:
    top = name.partition(".")[0]
    return top in FIRST_PARTY or top.endswith("_service")


def preload(names: list[str]) -> None:
    own = [name for name in names if _is_first_party(name)]
    if own:
        raise pytest.UsageError(f"{ENV} lists Inkwell packages, which coverage measures: {own}")
    for name in names:
        importlib.import_module(name)


preload(os.environ.get(ENV, "").split())
