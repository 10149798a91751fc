"""Adding a sixth service is its folder, one registry entry and its compose block: shown here with
a throwaway registry and a stub service (the compose block is checked in
``test_registry_consumers``). The dev stack starts the new service as a real process and the
gateway, another real process reading the same registry, routes to it."""

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from inkwell_devstack.config import StackConfig
from inkwell_devstack.stack import Supervisor

STUB_SERVICE = """
from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/readyz")
    def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.get("/api/notes/{note_id}")
    def note(note_id: str) -> dict[str, str]:
        return {"note": note_id, "served_by": "notes"}

    return app
"""
THROWAWAY_REGISTRY = """
from contracts.registry import Registry, Service

REGISTRY = Registry((Service("notes", 6, ("/api/notes/{rest:path}",)),))
"""


def free_port() -> int:
    """A port the OS says is free now (it may hand it out again later, rarely)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def notes_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Supervisor]:
    package = tmp_path / "notes_service"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text(STUB_SERVICE)
    (tmp_path / "throwaway_registry.py").write_text(THROWAWAY_REGISTRY)
    # The supervisor and its children (uvicorn) must all see the same registry.
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setenv("INKWELL_REGISTRY", "throwaway_registry:REGISTRY")
    monkeypatch.syspath_prepend(str(tmp_path))
    env = {
        "INKWELL_DATA_DIR": str(tmp_path / "data"),
        "INKWELL_RUN_DIR": str(tmp_path / "run"),
        "INKWELL_GATEWAY_PORT": str(free_port()),
        "INKWELL_NOTES_PORT": str(free_port()),
    }
    supervisor = Supervisor(StackConfig.from_env(env, profile="dev"), out=lambda _: None)
    try:
        supervisor.up()
        yield supervisor
    finally:
        supervisor.down()
        sys.modules.pop("throwaway_registry", None)


def test_the_dev_stack_starts_a_new_service_and_the_gateway_routes_to_it(
    notes_stack: Supervisor,
) -> None:
    # Only what the registry needs: no database, no S3, no Mongo for a service that keeps none.
    assert sorted(notes_stack.children) == ["gateway", "notes"]
    gateway = notes_stack.config.gateway_url

    answer = httpx.get(f"{gateway}/api/notes/n1", timeout=10)

    assert answer.status_code == 200
    assert answer.json() == {"note": "n1", "served_by": "notes"}
    ready = httpx.get(f"{gateway}/readyz", timeout=10).json()
    assert ready["services"] == {"notes": "up"}
    assert httpx.get(f"{gateway}/api/posts", timeout=10).status_code == 404  # not in this registry
