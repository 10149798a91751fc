"""What reads the service registry: the generated files and the hand-written compose file."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.registry import REGISTRY, Service
from inkwell_devstack import generate
from inkwell_devstack.config import find_root

ROOT = find_root()
NOTES = Service("notes", 6, ("/api/notes/{rest:path}",), storage=("postgres",))


def test_the_generated_files_are_fresh() -> None:
    stale = [
        str(path.relative_to(ROOT))
        for path, text in generate.outputs(ROOT, REGISTRY).items()
        if not path.exists() or path.read_text() != text
    ]
    assert stale == [], "run `make generate` (python -m inkwell_devstack.generate)"


def test_check_names_a_stale_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(generate, "find_root", lambda: tmp_path)
    assert generate.main([]) == 0
    assert (tmp_path / ".ci" / "run").stat().st_mode & 0o111
    assert generate.main(["--check"]) == 0
    (tmp_path / "tools" / "mk" / "services.mk").write_text("SUITES := auth\n")
    assert generate.main(["--check"]) == 1
    assert "stale: tools/mk/services.mk" in capsys.readouterr().err


def test_a_new_service_reaches_the_suite_list_and_the_ci_matrix() -> None:
    registry = REGISTRY.with_service(NOTES)
    mk = generate.services_mk(registry)
    assert "tests_notes := services/notes/tests" in mk
    assert "SUITES := runtime auth content preferences media weather notes" in mk
    workflow = yaml.safe_load(generate.workflow(registry))
    assert "notes" in workflow["jobs"]["test"]["strategy"]["matrix"]["suite"]


def test_both_ci_definitions_run_the_same_steps() -> None:
    workflow = yaml.safe_load(generate.workflow(REGISTRY))
    ci_run = generate.ci_run()
    for step in generate.CI_STEPS:
        assert f"\n{step.command}\n" in ci_run
        job = workflow["jobs"][step.name]
        commands = [s.get("run", "") for s in job["steps"]]
        expected = "make test-${{ matrix.suite }}" if step.name == "test" else None
        assert (expected or step.github_command or step.command) in commands


@pytest.mark.parametrize("service", REGISTRY.services, ids=REGISTRY.names)
def test_every_service_is_fuzzed_and_exported(service: Service) -> None:
    assert (ROOT / "quality" / "fuzz" / f"test_fuzz_{service.name}.py").is_file()
    assert (ROOT / "contracts" / "src" / "contracts" / "openapi" / f"{service.name}.json").is_file()
    assert (ROOT / service.tests).is_dir()


# -- docker-compose.yml is written by hand; it must still say what the registry says -------------
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document["services"]


STORE_SERVICES = {"postgres": "postgres", "mongo": "mongo", "s3": "localstack"}


@pytest.mark.parametrize("service", REGISTRY.services, ids=REGISTRY.names)
def test_compose_builds_and_wires_each_service_as_registered(service: Service) -> None:
    services = compose()
    block = services[service.name]
    args = block["build"]["args"]
    assert (args["PACKAGE"], args["APP"], args["PORT"]) == (
        service.package,
        service.factory,
        str(service.port()),
    )
    depends = set(block.get("depends_on", {}))
    for other in service.calls:
        assert other in depends, f"{service.name} calls {other}: depends_on it"
        assert block["environment"][f"{REGISTRY[other].env_name}_URL"] == (
            f"http://{other}:{REGISTRY[other].port()}"
        )
    for store in service.storage:
        # a service with a database waits for its migration, which waits for the database
        waits_for = depends | set(services.get(f"{service.name}-migrate", {}).get("depends_on", {}))
        assert STORE_SERVICES[store] in waits_for, f"{service.name} keeps data in {store}"


def test_compose_routes_the_gateway_to_every_registered_service() -> None:
    gateway = compose()["gateway"]
    for service in REGISTRY:
        assert gateway["environment"][f"{service.env_name}_URL"] == (
            f"http://{service.name}:{service.port()}"
        )
    assert set(REGISTRY.names) <= set(gateway["depends_on"])
