"""The system under test, however it was brought up (``E2E_STACK``).

- ``local`` (default): the ``make dev`` supervisor, with the e2e profile (own ports from
  ``E2E_PORT_BASE`` = 18000, own databases, fresh stores, the weather stub as upstream).
- ``compose``: ``docker compose up --wait`` through testcontainers' ``DockerCompose``, with the
  ``e2e`` profile (the weather stub); endpoints as published by docker-compose.yml. Always under
  a project of its own (``E2E_COMPOSE_PROJECT``, else ``inkwell-e2e-<random>``), never the
  user's ``inkwell``: the suite stops services and ends with ``down --volumes``.
- ``external``: a system already running at ``GATEWAY_URL`` (e.g. ``make dev --weather-stub``).

Tests talk HTTP to ``gateway_url`` only; the stores (bucket, Mongo, PostgreSQL) are read for
side-effect checks, and ``control`` stops and starts one service for the outage tests.
"""

import os
import re
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import httpx

from inkwell_devstack.config import StackConfig, find_root
from inkwell_devstack.stack import Supervisor

if TYPE_CHECKING:
    from testcontainers.compose import DockerCompose

Out = Callable[[str], None]
STACKS = ("local", "compose", "external")
READY_TIMEOUT = 90.0


class Control(Protocol):
    """Stops and starts one service of the running system."""

    def stop(self, service: str) -> None: ...

    def start(self, service: str) -> None:
        """Start it again and return once it is ready."""
        ...


@dataclass(frozen=True)
class Stores:
    """Where the tests look for side effects; ``None``: that check is not made."""

    s3_endpoint: str | None = None
    bucket: str | None = None
    mongo_url: str | None = None
    mongo_database: str | None = None
    database_urls: Mapping[str, str] = field(default_factory=dict)
    """auth / content: SQLAlchemy URLs (asyncpg) of their databases."""
    weather_stub_url: str | None = None
    """Where the weather stub answers ``/_stub/calls``."""
    mail_url: str | None = None
    """Where the SMTP capture server lists what auth sent (``/messages``; the local stack)."""


@dataclass(frozen=True)
class System:
    kind: str
    gateway_url: str
    stores: Stores
    control: Control | None = None
    """Stops and starts a service (None: the outage tests are skipped)."""
    stable_signing_key: bool = False
    """Auth keeps its signing key across a restart (tokens issued before stay valid)."""
    supervisor: Supervisor | None = None
    """The local stack's supervisor (``local`` only)."""
    gateway_urls: tuple[str, ...] = ()
    """Every gateway (``E2E_GATEWAY_URLS``; the scaled compose variant publishes two)."""
    compose_command: tuple[str, ...] = ()
    """``docker compose -p <project> -f ...`` of a compose system (its containers, one by one)."""
    scaled: bool = False
    """More than one replica of everything (``E2E_SCALED=1``: e2e/tests/test_replicas.py)."""
    cognito: bool = False
    """Users live in a Cognito user pool (``E2E_COGNITO=1``: moto's, behind auth)."""

    @property
    def access_token_seconds(self) -> int:
        """An access token's lifetime: auth's default (15 minutes), or Cognito's app client's
        (moto's: one hour, as a new app client's on AWS)."""
        return 3600 if self.cognito else 900


class SupervisorControl:
    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor

    def stop(self, service: str) -> None:
        self.supervisor.stop(service)

    def start(self, service: str) -> None:
        self.supervisor.restart(service)


class ComposeControl:
    """``docker compose stop|start <service>``, then wait until the gateway sees it up."""

    def __init__(self, command: list[str], cwd: Path, gateway_url: str) -> None:
        self.command = command
        self.cwd = cwd
        self.gateway_url = gateway_url

    def stop(self, service: str) -> None:
        subprocess.run([*self.command, "stop", service], cwd=self.cwd, check=True)

    def start(self, service: str) -> None:
        subprocess.run([*self.command, "start", service], cwd=self.cwd, check=True)
        wait_until_service_up(self.gateway_url, service)


def wait_until_service_up(gateway_url: str, service: str, timeout: float = READY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=5.0) as client:
        while True:
            try:
                body = client.get(f"{gateway_url}/readyz").json()
                if body.get("services", {}).get(service) == "up":
                    return
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{service} not up behind {gateway_url} within {timeout:.0f}s")
            time.sleep(0.2)


def wait_until_ready(gateway_url: str, timeout: float = READY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=5.0) as client:
        while True:
            try:
                if client.get(f"{gateway_url}/readyz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{gateway_url}/readyz not 200 within {timeout:.0f}s")
            time.sleep(0.2)


def stores_from_env(env: Mapping[str, str], defaults: Mapping[str, str]) -> Stores:
    """Side-effect endpoints: ``E2E_*`` variables, else ``defaults``; ``E2E_STORES=off``: none."""
    if env.get("E2E_STORES", "on").lower() in {"0", "off", "false", "no"}:
        return Stores()

    def get(name: str) -> str | None:
        return env.get(name, defaults.get(name, "")) or None

    return Stores(
        s3_endpoint=get("E2E_S3_ENDPOINT"),
        bucket=get("E2E_S3_BUCKET"),
        mongo_url=get("E2E_MONGO_URL"),
        mongo_database=get("E2E_MONGO_DATABASE"),
        database_urls={
            service: url
            for service in ("auth", "content")
            if (url := get(f"E2E_{service.upper()}_DATABASE_URL"))
        },
        weather_stub_url=get("E2E_WEATHER_STUB_URL"),
        mail_url=get("E2E_MAIL_URL"),
    )


@contextmanager
def local_system(out: Out, env: Mapping[str, str]) -> Iterator[System]:
    config = StackConfig.from_env(env, profile="e2e")
    supervisor = Supervisor(config, out=out)
    supervisor.up()
    try:
        yield System(
            kind="local",
            gateway_url=config.gateway_url,
            stores=Stores(
                s3_endpoint=config.s3_endpoint,
                bucket=config.bucket,
                mongo_url=config.mongo_url,
                mongo_database=config.mongo_database,
                database_urls=dict(config.database_urls),
                weather_stub_url=config.url("weather-stub"),
                mail_url=config.url("mail"),
            ),
            control=SupervisorControl(supervisor),
            stable_signing_key=True,
            supervisor=supervisor,
            cognito=config.cognito,
        )
    finally:
        out(f"inkwell e2e: stopping the local stack (logs in {config.log_dir})")
        supervisor.down()


COMPOSE_DEFAULTS = {
    "E2E_S3_ENDPOINT": "http://127.0.0.1:4566",
    "E2E_S3_BUCKET": "inkwell-media",
    "E2E_MONGO_URL": "mongodb://127.0.0.1:27017/?directConnection=true",
    "E2E_MONGO_DATABASE": "inkwell",
    # the password: docker-compose.yml's development secret (deploy/secrets/dev/database_password)
    "E2E_AUTH_DATABASE_URL": (
        "postgresql+asyncpg://postgres:inkwell-insecure-dev-only@127.0.0.1:55432/inkwell_auth"
    ),
    "E2E_CONTENT_DATABASE_URL": (
        "postgresql+asyncpg://postgres:inkwell-insecure-dev-only@127.0.0.1:55432/inkwell_content"
    ),
    "E2E_WEATHER_STUB_URL": "http://127.0.0.1:8009",
    "E2E_MAIL_URL": "http://127.0.0.1:8025",
}
COMPOSE_ENV_FILE = "deploy/e2e.env"
COMPOSE_FILES = "docker-compose.yml,deploy/compose.ports.yml"
EXTERNAL_DEFAULTS = {
    # What `make dev` uses on its conventional ports.
    "E2E_S3_ENDPOINT": "http://127.0.0.1:4566",
    "E2E_S3_BUCKET": "inkwell-media",
    "E2E_MONGO_URL": "mongodb://127.0.0.1:27017/?directConnection=true",
    "E2E_MONGO_DATABASE": "inkwell",
    "E2E_AUTH_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/inkwell_auth",
    "E2E_CONTENT_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/inkwell_content",
    "E2E_WEATHER_STUB_URL": "http://127.0.0.1:8009",
    "E2E_MAIL_URL": "http://127.0.0.1:8025",
}


USER_PROJECT = "inkwell"
"""docker-compose.yml's ``name:``: the project of the user's own ``docker compose up``."""
TEST_PROJECT_PREFIX = "inkwell-e2e"
_PROJECT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


def compose_project(env: Mapping[str, str]) -> str:
    """The compose project a test run brings up, stops and deletes: ``E2E_COMPOSE_PROJECT`` (a
    stack brought up beforehand, e.g. by CI or deploy/airgapped/run.sh), else a new
    ``inkwell-e2e-<random>``. Never the user's ``inkwell``."""
    name = env.get("E2E_COMPOSE_PROJECT", "").strip()
    if not name:
        return f"{TEST_PROJECT_PREFIX}-{secrets.token_hex(4)}"
    if not _PROJECT_NAME.fullmatch(name):
        raise ValueError(
            f"E2E_COMPOSE_PROJECT={name!r} is not a compose project name "
            "(lowercase letters, digits, '-' and '_', starting with a letter or digit)"
        )
    if name == USER_PROJECT:
        raise ValueError(
            f"E2E_COMPOSE_PROJECT={name!r} is the project of your own `docker compose up` "
            "(docker-compose.yml's name): the suite stops its services and deletes it with "
            f"`down --volumes`; use another name, e.g. {TEST_PROJECT_PREFIX}"
        )
    return name


def compose_for_tests(project: str, **options: object) -> "DockerCompose":
    """testcontainers' ``DockerCompose`` with ``--project-name <project>`` in every command it runs
    (up, down, logs, ps, and ComposeControl's stop/start): the project wins over compose's
    ``name:`` and ``COMPOSE_PROJECT_NAME``."""
    from testcontainers.compose import DockerCompose

    class ProjectCompose(DockerCompose):
        @property
        def compose_command_property(self) -> list[str]:
            binary, subcommand, *rest = super().compose_command_property
            return [binary, subcommand, "--project-name", project, *rest]

    return ProjectCompose(**options)  # type: ignore[arg-type]


@contextmanager
def compose_system(out: Out, env: Mapping[str, str]) -> Iterator[System]:
    root = find_root()
    project = compose_project(env)
    # the stores published (deploy/compose.ports.yml): the suite checks what landed in them
    files = [f.strip() for f in env.get("E2E_COMPOSE_FILES", COMPOSE_FILES).split(",")]
    env_file = env.get("E2E_COMPOSE_ENV_FILE", COMPOSE_ENV_FILE)
    compose = compose_for_tests(
        project,
        context=root,
        compose_file_name=[f for f in files if f],
        env_file=env_file if env_file and (root / env_file).is_file() else None,
        profiles=["e2e"],
        wait=True,
        build=env.get("E2E_COMPOSE_BUILD", "0") == "1",
    )
    gateway_url = env.get("GATEWAY_URL", "http://127.0.0.1:8000")
    gateway_urls = [u.strip() for u in env.get("E2E_GATEWAY_URLS", gateway_url).split(",")]
    out(f"inkwell e2e: docker compose -p {project} up --wait ({', '.join(files)})")
    compose.start()
    try:
        wait_until_ready(gateway_url)
        yield System(
            kind="compose",
            gateway_url=gateway_url,
            control=ComposeControl(compose.compose_command_property, root, gateway_url),
            # docker-compose.yml mounts one key set (the jwt_keys secret): a token issued
            # before an auth restart still verifies after it; 0 for a stack without one
            stable_signing_key=env.get("E2E_STABLE_SIGNING_KEY", "1") == "1",
            stores=stores_from_env(env, COMPOSE_DEFAULTS),
            gateway_urls=tuple(u for u in gateway_urls if u),
            compose_command=tuple(compose.compose_command_property),
            scaled=env.get("E2E_SCALED", "0") == "1",
        )
    finally:
        if env.get("E2E_COMPOSE_KEEP", "0") != "1":
            out(f"inkwell e2e: docker compose -p {project} down --volumes")
            compose.stop()
        elif not env.get("E2E_COMPOSE_PROJECT"):
            out(f"inkwell e2e: kept; stop it with docker compose -p {project} down --volumes")


@contextmanager
def external_system(out: Out, env: Mapping[str, str]) -> Iterator[System]:
    gateway_url = env.get("GATEWAY_URL", "http://127.0.0.1:8000")
    out(f"inkwell e2e: using the system at {gateway_url}")
    wait_until_ready(gateway_url, timeout=float(env.get("E2E_READY_TIMEOUT", "10")))
    yield System(
        kind="external",
        gateway_url=gateway_url,
        stores=stores_from_env(env, EXTERNAL_DEFAULTS),
    )


def system_from_env(
    out: Out, env: Mapping[str, str] | None = None
) -> AbstractContextManager[System]:
    env = os.environ if env is None else env
    kind = env.get("E2E_STACK", "local")
    if kind == "local":
        return local_system(out, env)
    if kind == "compose":
        return compose_system(out, env)
    if kind == "external":
        return external_system(out, env)
    raise ValueError(f"E2E_STACK={kind!r}: expected one of {', '.join(STACKS)}")
