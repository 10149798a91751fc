"""What a local Inkwell stack is made of: ports, folders, databases, stand-ins, env per child.

Two profiles share one shape:

- ``dev`` (``make dev``): conventional ports (gateway 8000, services 8001..8005, S3 4566,
  Mongo 27017), data kept under ``.data/dev`` so it survives a restart, and every setting the
  services read taken from the caller's environment (``DATABASE_URL``'s server,
  ``WEATHER_API_URL``, ``MONGO_URL``, ``AWS_ENDPOINT_URL_S3``, ...).
- ``e2e`` (the e2e suite's ``E2E_STACK=local``): its own ports (base 18000), its own databases
  (``inkwell_e2e_auth``, ``inkwell_e2e_content``, dropped and recreated), a fresh Mongo file and
  bucket, and the weather stub as upstream, so a run is repeatable and never touches a
  developer's ``make dev``.
"""

import dataclasses
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from contracts.registry import GATEWAY_PORT, Registry, current

Profile = Literal["dev", "e2e"]
S3Kind = Literal["moto", "localstack", "external"]

HOST = "127.0.0.1"
GATEWAY_FACTORY = "gateway.main:create_app"
STAND_IN_PORTS: dict[str, tuple[int, int]] = {
    "weather-stub": (8009, 9),
    "s3": (4566, 10),
    "mongo": (27017, 11),
    "redis": (6390, 12),  # not 6379: a Redis of the machine's own may be there
    "smtp": (1025, 13),  # the mail catcher (aiosmtpd): what auth sends
    "mail": (8025, 14),  # its listing of what it caught
    "cognito": (4571, 15),  # moto's server as Amazon Cognito (--cognito)
}
"""The stand-ins' conventional ports and their offsets from a port base. The services' come from
the registry (``contracts.registry``: the gateway at offset 0, each service at its own)."""


def conventional_ports(registry: Registry) -> dict[str, int]:
    return {
        "gateway": GATEWAY_PORT,
        **{service.name: service.port() for service in registry},
        **{name: port for name, (port, _) in STAND_IN_PORTS.items()},
    }


def port_offsets(registry: Registry) -> dict[str, int]:
    return {
        "gateway": 0,
        **{service.name: service.port_offset for service in registry},
        **{name: offset for name, (_, offset) in STAND_IN_PORTS.items()},
    }


E2E_PORT_BASE = 18000
DEFAULT_SERVER_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
TEST_AWS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}
SEED_ADMIN_EMAIL = "admin@example.com"
"""``make seed``'s admin (inkwell_devstack.seed.ADMIN_EMAIL)."""
E2E_BUCKET = "inkwell-e2e-media"
E2E_MONGO_DATABASE = "inkwell_e2e_preferences"
E2E_SERVICE_ENV: dict[str, str] = {
    # `make seed` is tested against the e2e stack: its admin gets the role there too.
    "BOOTSTRAP_ADMIN_EMAILS": json.dumps([SEED_ADMIN_EMAIL]),
    # Suites that log many users in switch the gateway's login rate limit off.
    "LOGIN_RATE_LIMIT": "off",
    # Cheaper password hashing: the suite checks flows, not argon2's cost.
    "ARGON2_TIME_COST": "1",
    "ARGON2_MEMORY_KIB": "8192",
    # A 1 s upstream timeout makes the stub's slow city a 504 quickly, and an open
    # breaker closes again after 2 s, so one test's faults do not leak into the next.
    "WEATHER_TIMEOUT_SECONDS": "1",
    "WEATHER_BREAKER_RESET_SECONDS": "2",
    # For the stub itself: still beyond the timeout, but done well before the stack stops.
    "WEATHER_STUB_SLOW_SECONDS": "3",
}


class ConfigError(ValueError):
    """A setting of the runner itself is unusable (reported without a traceback)."""


def find_root() -> Path:
    """The repository (where ``.data/`` and ``.run/`` go): this file's checkout, else the cwd."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "tools" / "devstack" / "pyproject.toml").is_file():
            return parent
    return Path.cwd()


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(f"INKWELL_{name.upper().replace('-', '_')}_PORT")
    if raw is None:
        return default
    return _int(raw, f"INKWELL_{name.upper().replace('-', '_')}_PORT")


def _int(raw: str, var: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{var}={raw!r} is not a port number") from None
    if not 0 < value < 65536:
        raise ConfigError(f"{var}={raw!r} is not a port number")
    return value


def layout(base: int | None, registry: Registry | None = None) -> dict[str, int]:
    """Ports for every component: the conventional ones, or ``base`` + a fixed offset each."""
    registry = registry or current()
    if base is None:
        return conventional_ports(registry)
    ports = {name: base + offset for name, offset in port_offsets(registry).items()}
    too_high = [name for name, port in ports.items() if port > 65535]
    if too_high:
        raise ConfigError(f"port base {base} puts {', '.join(too_high)} above 65535")
    return ports


def database_url(server: str, database: str) -> str:
    """``server``'s URL (any database, any driver) naming ``database``, with asyncpg."""
    from sqlalchemy.engine import (
        make_url,
    )  # imported late: `make dev` answers fast when it can't start

    url = make_url(server)
    return url.set(drivername="postgresql+asyncpg", database=database).render_as_string(
        hide_password=False
    )


@dataclass(frozen=True)
class StackConfig:
    profile: Profile
    root: Path
    data_dir: Path
    run_dir: Path
    ports: Mapping[str, int]
    database_urls: Mapping[str, str]
    """Per service with a database: its full SQLAlchemy URL."""
    s3: S3Kind = "moto"
    s3_endpoint_override: str | None = None
    mongo_url_override: str | None = None
    weather_api_url: str | None = None
    """``WEATHER_API_URL`` for the weather service; ``None``: the service's default."""
    weather_stub: bool = False
    redis: bool = False
    """Run a throwaway ``redis-server`` and share the gateway's login limit through it."""
    reset: bool = False
    """Drop the databases, wipe the Mongo file: every start begins empty (the e2e profile)."""
    cognito: bool = False
    """Users in a Cognito user pool (moto's server, created at start): ``AUTH_PROVIDER=cognito``
    for auth and every service verifying its tokens."""
    service_env: Mapping[str, str] = field(default_factory=dict)
    """Extra variables every service gets (they win over the caller's environment)."""
    start_timeout: float = 120.0
    host: str = HOST
    registry: Registry = field(default_factory=current)
    """The services to run (``contracts.registry``)."""

    # -- derived ------------------------------------------------------------------------------
    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.ports[name]}"

    @property
    def gateway_url(self) -> str:
        return self.url("gateway")

    @property
    def s3_endpoint(self) -> str:
        return self.s3_endpoint_override or self.url("s3")

    @property
    def mongo_url(self) -> str:
        return (
            self.mongo_url_override
            or f"mongodb://{self.host}:{self.ports['mongo']}/?directConnection=true"
        )

    @property
    def redis_url(self) -> str:
        return f"redis://{self.host}:{self.ports['redis']}/0"

    @property
    def log_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def mongo_data_dir(self) -> Path:
        return self.data_dir / "mongo"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def jwt_key_file(self) -> Path:
        return self.data_dir / "auth" / "jwt-dev-key.pem"

    @property
    def bucket(self) -> str | None:
        return self.service_env.get("S3_BUCKET")

    @property
    def mongo_database(self) -> str | None:
        return self.service_env.get("MONGO_DATABASE")

    @property
    def postgres_server(self) -> str:
        """The server the databases live on, as a URL to its ``postgres`` database."""
        first = next(iter(self.database_urls.values()))
        return database_url(first, "postgres")

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        profile: Profile = "dev",
        weather_stub: bool | None = None,
        reset: bool | None = None,
        redis: bool | None = None,
        cognito: bool | None = None,
        root: Path | None = None,
    ) -> "StackConfig":
        env = os.environ if env is None else env
        root = root or find_root()
        if profile == "e2e":
            config = cls._e2e(env, root)
            flag = _flag(env.get("E2E_COGNITO"))
        else:
            config = cls._dev(env, root, weather_stub=weather_stub, reset=reset, redis=redis)
            flag = _flag(env.get("INKWELL_COGNITO"))
        return dataclasses.replace(config, cognito=cognito if cognito is not None else flag)

    @classmethod
    def _dev(
        cls,
        env: Mapping[str, str],
        root: Path,
        *,
        weather_stub: bool | None,
        reset: bool | None,
        redis: bool | None = None,
    ) -> "StackConfig":
        registry = current()
        raw_base = env.get("INKWELL_PORT_BASE")
        base = _int(raw_base, "INKWELL_PORT_BASE") if raw_base else None
        ports = {name: _port(env, name, port) for name, port in layout(base, registry).items()}
        suffix = "dev" if base is None else f"dev-{base}"
        # A stack on another port base keeps its own databases too (``--fresh`` drops only its own).
        prefix = "inkwell" if base is None else f"inkwell_dev{base}"
        server = env.get("DATABASE_URL") or DEFAULT_SERVER_URL
        databases = {
            service.name: env.get(f"{service.env_name}_DATABASE_URL")
            or database_url(server, f"{prefix}_{service.name}")
            for service in registry.storing("postgres")
        }
        s3_override = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
        s3_kind = env.get("INKWELL_S3", "moto")
        if s3_kind not in ("moto", "localstack"):
            raise ConfigError(f"INKWELL_S3={s3_kind!r}: expected moto or localstack")
        stub = weather_stub if weather_stub is not None else _flag(env.get("INKWELL_WEATHER_STUB"))
        return cls(
            profile="dev",
            root=root,
            data_dir=_dir(env.get("INKWELL_DATA_DIR"), root / ".data" / suffix),
            run_dir=_dir(env.get("INKWELL_RUN_DIR"), root / ".run" / suffix),
            ports=ports,
            database_urls=databases,
            s3="external" if s3_override else s3_kind,  # type: ignore[arg-type]
            s3_endpoint_override=s3_override,
            mongo_url_override=env.get("MONGO_URL"),
            weather_api_url=None if stub else env.get("WEATHER_API_URL"),
            weather_stub=stub,
            # RATE_LIMIT_STORAGE_URL set: the gateway uses that Redis, none is started
            redis=(redis if redis is not None else _flag(env.get("INKWELL_REDIS")))
            and not env.get("RATE_LIMIT_STORAGE_URL"),
            reset=bool(reset),
            # `make seed`'s admin is an admin unless the caller chose the admins
            service_env={}
            if "BOOTSTRAP_ADMIN_EMAILS" in env
            else {"BOOTSTRAP_ADMIN_EMAILS": json.dumps([SEED_ADMIN_EMAIL])},
            start_timeout=float(env.get("INKWELL_START_TIMEOUT", "120")),
            registry=registry,
        )

    @classmethod
    def _e2e(cls, env: Mapping[str, str], root: Path) -> "StackConfig":
        registry = current()
        base = _int(env.get("E2E_PORT_BASE", str(E2E_PORT_BASE)), "E2E_PORT_BASE")
        server = env.get("E2E_DATABASE_URL") or env.get("TEST_DATABASE_URL") or DEFAULT_SERVER_URL
        # Two e2e runs side by side (each with its own E2E_PORT_BASE) need their own databases
        # and folders too: both follow the port base unless set.
        name = "e2e" if base == E2E_PORT_BASE else f"e2e{base}"
        prefix = env.get("E2E_DATABASE_PREFIX", f"inkwell_{name}")
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", prefix):
            raise ConfigError(
                f"E2E_DATABASE_PREFIX must be lower-case letters, digits and _, got {prefix!r}"
            )
        return cls(
            profile="e2e",
            root=root,
            data_dir=_dir(env.get("E2E_DATA_DIR"), root / ".data" / name),
            run_dir=_dir(env.get("E2E_RUN_DIR"), root / ".run" / name),
            ports=layout(base, registry),
            database_urls={
                service.name: database_url(server, f"{prefix}_{service.name}")
                for service in registry.storing("postgres")
            },
            s3="moto",
            weather_stub=True,
            reset=True,
            service_env={
                **E2E_SERVICE_ENV,
                "S3_BUCKET": E2E_BUCKET,
                "MONGO_DATABASE": E2E_MONGO_DATABASE,
            },
            start_timeout=float(env.get("E2E_START_TIMEOUT", "120")),
            registry=registry,
        )


def side_stack(
    name: str,
    port_base: int,
    service_env: Mapping[str, str],
    env: Mapping[str, str] | None = None,
) -> StackConfig:
    """The e2e profile for another tool (``bench``, ``fuzz``): ports from ``port_base``, and
    databases, folders, bucket and Mongo database named after ``name``, so it never touches a
    developer's stack or an e2e run. ``service_env`` adds to every child's environment."""
    env = os.environ if env is None else env
    root = find_root()
    config = StackConfig.from_env(
        {
            **env,
            "E2E_PORT_BASE": str(port_base),
            "E2E_RUN_DIR": str(root / ".run" / name),
            "E2E_DATA_DIR": str(root / ".data" / name),
            "E2E_DATABASE_PREFIX": f"inkwell_{name}",
        },
        profile="e2e",
        root=root,
    )
    return dataclasses.replace(
        config,
        service_env={
            **config.service_env,
            "S3_BUCKET": f"inkwell-{name}-media",
            "MONGO_DATABASE": f"inkwell_{name}_preferences",
            **service_env,
        },
    )


def _flag(raw: str | None) -> bool:
    return (raw or "").strip().lower() in {"1", "true", "yes", "on"}


def _dir(raw: str | None, default: Path) -> Path:
    """A folder from the environment (relative to the current directory), else ``default``."""
    return Path(raw).resolve() if raw else default
