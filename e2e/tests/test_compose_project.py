"""The compose project of test runs, without an engine: `E2E_STACK=compose`, the air-gapped run
and CI bring their stacks up under a project of their own, never `inkwell` (docker-compose.yml's
`name:`, the project of the user's own `docker compose up`): each of them ends with
`down --volumes`, which would delete the user's stack and its data. Fast; no docker needed."""

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from inkwell_devstack.config import find_root
from inkwell_e2e.systems import USER_PROJECT, compose_project, compose_system

ROOT = find_root()


def test_the_users_project_is_what_docker_compose_yml_names() -> None:
    compose_file = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose_file["name"] == USER_PROJECT == "inkwell"


def test_a_test_run_gets_a_new_project_of_its_own() -> None:
    first, second = compose_project({}), compose_project({})
    assert first.startswith("inkwell-e2e-")
    assert first != second
    assert USER_PROJECT not in {first, second}


def test_a_given_project_is_used() -> None:
    assert compose_project({"E2E_COMPOSE_PROJECT": "inkwell-e2e-ci"}) == "inkwell-e2e-ci"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("inkwell", "the project of your own `docker compose up`"),
        (" inkwell ", "the project of your own `docker compose up`"),
        ("Inkwell", "not a compose project name"),
        ("-x", "not a compose project name"),
        ("a b", "not a compose project name"),
    ],
)
def test_the_users_project_and_invalid_names_are_refused(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compose_project({"E2E_COMPOSE_PROJECT": name})


# --------------------------------------------------------------- what the suite runs, on the wire
class FakeGateway(BaseHTTPRequestHandler):
    """/readyz: ready, every service up (what compose_system and ComposeControl wait for)."""

    def do_GET(self) -> None:
        body = json.dumps({"status": "ready", "services": {"auth": "up"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def gateway_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def docker_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `docker` first on PATH that records its arguments (one call a line, tab-separated)."""
    calls = tmp_path / "calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "docker"
    fake.write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do printf \'%s\\t\' "$arg"; done >>"$FAKE_DOCKER_CALLS"\n'
        'echo >>"$FAKE_DOCKER_CALLS"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("FAKE_DOCKER_CALLS", str(calls))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return calls


def recorded(calls: Path) -> list[list[str]]:
    return [line.rstrip("\t").split("\t") for line in calls.read_text().splitlines()]


def test_every_compose_command_of_a_run_names_its_own_project(
    docker_calls: Path, gateway_url: str
) -> None:
    env = {"E2E_STACK": "compose", "GATEWAY_URL": gateway_url, "E2E_STORES": "off"}
    with compose_system(lambda _: None, env) as system:
        assert system.control is not None
        system.control.stop("auth")
        system.control.start("auth")
    commands = recorded(docker_calls)
    assert [c[c.index("--env-file") + 2 :] for c in commands] == [
        ["up", "--wait"],
        ["stop", "auth"],
        ["start", "auth"],
        ["down", "--volumes"],
    ]
    projects = {tuple(c[:3]) for c in commands}
    assert len(projects) == 1
    ((compose, flag, project),) = projects
    assert (compose, flag) == ("compose", "--project-name")
    assert project.startswith("inkwell-e2e-")


def test_a_kept_stack_is_not_taken_down(docker_calls: Path, gateway_url: str) -> None:
    env = {
        "GATEWAY_URL": gateway_url,
        "E2E_STORES": "off",
        "E2E_COMPOSE_PROJECT": "inkwell-e2e-ci",
        "E2E_COMPOSE_KEEP": "1",
    }
    with compose_system(lambda _: None, env):
        pass
    commands = recorded(docker_calls)
    assert [c[:3] for c in commands] == [["compose", "--project-name", "inkwell-e2e-ci"]]
    assert commands[0][-2:] == ["up", "--wait"]


# --------------------------------------------------------------- the air-gapped run and CI
def test_the_airgapped_runs_compose_commands_name_the_runs_project(
    docker_calls: Path, tmp_path: Path
) -> None:
    script = (
        ". deploy/airgapped/lib/stack.sh\n"
        'COMPOSE_PROJECT=$(project_name "$1")\n'
        "compose down --volumes\n"
    )
    subprocess.run(
        ["bash", "-c", script, "-", f"{tmp_path}/inkwell-airgapped.Xy9Q1z"], cwd=ROOT, check=True
    )
    ((command,),) = [recorded(docker_calls)]
    assert command[:3] == ["compose", "-p", "inkwell-e2e-airgapped-xy9q1z"]
    assert command[-2:] == ["down", "--volumes"]
    assert compose_project({"E2E_COMPOSE_PROJECT": command[2]}) == command[2]


def test_ci_runs_its_compose_suite_under_a_test_project_of_its_own() -> None:
    """GitHub's compose job is `make e2e-compose`; nothing there names a project, so the suite
    makes up its own (never the user's `inkwell`)."""
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    job = workflow["jobs"]["e2e-compose"]
    assert "make e2e-compose" in [step.get("run") for step in job["steps"]]
    assert "E2E_COMPOSE_PROJECT" not in job.get("env", {})
    made_up = compose_project({})
    assert made_up.startswith("inkwell-e2e-") and made_up != USER_PROJECT
