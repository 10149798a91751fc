"""The service registry: every Inkwell service, written down once.

Everything that needs the list of services reads it from here: the gateway's route table and
its ``<NAME>_URL`` settings, the dev stack (which processes, stand-ins and databases it starts,
and how it wires them), the e2e and bench stacks, the OpenAPI export, the Makefile's suite list
and the CI matrix (both generated: ``python -m contracts.registry generate``; a test fails when
they are stale). ``docker-compose.yml`` stays hand-written for people to read; a test checks it
against this registry.

Adding a service: its folder under ``services/``, one :class:`Service` below, its compose block.

``INKWELL_REGISTRY=module:attribute`` swaps the registry for another one (the test that adds a
sixth service does this); every process of a stack must see the same value.
"""

import importlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

Storage = Literal["postgres", "mongo", "s3"]

GATEWAY_PORT = 8000
"""The gateway's conventional port; a service's is ``GATEWAY_PORT + port_offset``."""
SERVICE_OFFSETS = range(1, 9)
"""Offsets a service may take: 0 is the gateway's, 9 and up are the dev stack's stand-ins."""
REGISTRY_ENV = "INKWELL_REGISTRY"

_NAME = re.compile(r"[a-z][a-z0-9]*")
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(:path)?\}")


@dataclass(frozen=True)
class Service:
    """One service: what it is called, where it listens, what it keeps, whom it calls."""

    name: str
    port_offset: int
    routes: tuple[str, ...]
    """Public path patterns the gateway sends to it: ``{x}`` is one segment, ``{x:path}`` the
    rest of the path."""
    storage: tuple[Storage, ...] = ()
    calls: tuple[str, ...] = ()
    """Other services it calls over HTTP (beyond auth's JWKS, which every service reads)."""
    third_party: str | None = None
    """The setting naming a third-party API it calls (the dev stack points it at a stub)."""
    package: str = ""
    """The uv workspace package (default ``<name>-service``)."""
    module: str = ""
    """Its import name (default ``<name>_service``)."""
    path: str = ""
    """Its folder in the repository (default ``services/<name>``)."""

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"service name {self.name!r}: lower-case letters and digits")
        if self.port_offset not in SERVICE_OFFSETS:
            raise ValueError(
                f"{self.name}: port_offset {self.port_offset} is outside "
                f"{SERVICE_OFFSETS.start}..{SERVICE_OFFSETS.stop - 1}"
            )
        object.__setattr__(self, "package", self.package or f"{self.name}-service")
        object.__setattr__(self, "module", self.module or f"{self.name}_service")
        object.__setattr__(self, "path", self.path or f"services/{self.name}")

    @property
    def factory(self) -> str:
        """``module:function`` uvicorn serves (``uvicorn --factory``)."""
        return f"{self.module}.main:create_app"

    @property
    def openapi_factory(self) -> str:
        """``module:function`` building the app with test settings, for the OpenAPI export."""
        return f"{self.module}.main:openapi_app"

    @property
    def env_name(self) -> str:
        """Its name in settings: the gateway reads ``<ENV_NAME>_URL``."""
        return self.name.upper()

    @property
    def url_setting(self) -> str:
        """The setting (and environment variable, upper-cased) holding its base URL."""
        return f"{self.name}_url"

    @property
    def tests(self) -> str:
        return f"{self.path}/tests"

    def port(self, base: int = GATEWAY_PORT) -> int:
        return base + self.port_offset

    def local_url(self, host: str = "127.0.0.1", base: int = GATEWAY_PORT) -> str:
        return f"http://{host}:{self.port(base)}"


@dataclass(frozen=True)
class Registry:
    services: tuple[Service, ...]
    by_name: dict[str, Service] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {service.name: service for service in self.services}
        if len(by_name) != len(self.services):
            raise ValueError("two services share a name")
        offsets = [service.port_offset for service in self.services]
        if len(set(offsets)) != len(offsets):
            raise ValueError("two services share a port offset")
        for service in self.services:
            unknown = [name for name in service.calls if name not in by_name]
            if unknown:
                raise ValueError(f"{service.name} calls unknown service(s): {', '.join(unknown)}")
        object.__setattr__(self, "by_name", by_name)

    def __iter__(self) -> Iterator[Service]:
        return iter(self.services)

    def __getitem__(self, name: str) -> Service:
        return self.by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(service.name for service in self.services)

    def storing(self, storage: Storage) -> tuple[Service, ...]:
        """The services keeping data in ``storage``."""
        return tuple(service for service in self.services if storage in service.storage)

    def routes(self) -> tuple[tuple[str, str], ...]:
        """``(pattern, service)`` for every public route, most specific first: literal paths
        before one-segment parameters before ``{x:path}`` tails, longer before shorter."""
        pairs = [(pattern, service.name) for service in self.services for pattern in service.routes]
        return tuple(sorted(pairs, key=lambda pair: _specificity(pair[0])))

    def with_service(self, service: Service) -> "Registry":
        """This registry plus one more service (for tests of what a new service needs)."""
        return Registry((*self.services, service))


def _specificity(pattern: str) -> tuple[bool, int, int]:
    tail = ":path}" in pattern
    segments = pattern.count("/")
    literal = len(_PARAM.sub("", pattern))
    return (tail, -segments, -literal)


REGISTRY = Registry(
    (
        Service(
            "auth",
            1,
            storage=("postgres",),
            # a deleted account's data is erased there (the erasure outbox, a service token)
            calls=("content", "preferences", "media"),
            routes=("/api/users/{user_id}", "/api/auth/{rest:path}", "/api/admin/{rest:path}"),
        ),
        Service(
            "content",
            2,
            storage=("postgres",),
            routes=("/api/users/{user_id}/posts", "/api/posts", "/api/posts/{rest:path}"),
        ),
        Service("preferences", 3, storage=("mongo",), routes=("/api/users/me/preferences",)),
        Service("media", 4, storage=("s3",), routes=("/api/users/{user_id}/profile-picture",)),
        Service(
            "weather",
            5,
            calls=("preferences",),
            third_party="WEATHER_API_URL",
            routes=("/api/weather/{rest:path}",),
        ),
    )
)


def current() -> Registry:
    """The registry in force: :data:`REGISTRY`, or the one ``INKWELL_REGISTRY`` names."""
    target = os.environ.get(REGISTRY_ENV)
    if not target:
        return REGISTRY
    module_name, _, attribute = target.partition(":")
    registry = getattr(importlib.import_module(module_name), attribute or "REGISTRY")
    if not isinstance(registry, Registry):
        raise TypeError(f"{REGISTRY_ENV}={target!r} is not a contracts.registry.Registry")
    return registry
