"""The route table: which service owns which public path, from the service registry
(``contracts.registry``: each service lists its public routes there).

Patterns are tried in order, most specific first. ``{name}`` stands for exactly one path
segment; ``{name:path}`` for the rest of the path (one segment or more). A path no pattern
matches is not routed (the gateway answers 404 itself), and neither is a path with a ``.`` or
``..`` segment, so no service sees a path the gateway matched differently than it would.
Services' own ``/healthz`` and ``/readyz`` are deliberately not public.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from contracts.registry import Registry, current


@dataclass(frozen=True)
class Route:
    pattern: str
    service: str


def routes_of(registry: Registry) -> tuple[Route, ...]:
    """The route table of a service registry, most specific pattern first."""
    return tuple(Route(pattern, service) for pattern, service in registry.routes())


SERVICES: tuple[str, ...] = current().names
ROUTES: tuple[Route, ...] = routes_of(current())

RATE_LIMITED_PATHS: frozenset[str] = frozenset({"/api/auth/token", "/api/auth/login"})
"""Where passwords are checked: one login budget per client covers both."""

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(:path)?\}")


def pattern_regex(pattern: str) -> str:
    """The regular expression (no groups) a route pattern stands for."""
    parts: list[str] = []
    position = 0
    for match in _PARAM.finditer(pattern):
        parts.append(re.escape(pattern[position : match.start()]))
        parts.append(".+" if match.group(2) else "[^/]+")
        position = match.end()
    parts.append(re.escape(pattern[position:]))
    return "".join(parts)


def _has_dot_segment(path: str) -> bool:
    return any(segment in (".", "..") for segment in path.split("/"))


class RouteTable:
    """Resolves a request path to its service with one precompiled regular expression."""

    def __init__(self, routes: Iterable[Route] = ROUTES) -> None:
        self.routes = tuple(routes)
        alternatives = (
            f"(?P<r{i}>{pattern_regex(route.pattern)})" for i, route in enumerate(self.routes)
        )
        self._regex = re.compile("|".join(alternatives))

    def resolve(self, path: str) -> str | None:
        """The service that owns ``path``, or ``None`` when the gateway routes it nowhere."""
        route = self.resolve_route(path)
        return None if route is None else route.service

    def resolve_route(self, path: str) -> Route | None:
        """The route ``path`` is sent by (its pattern labels metrics), or ``None``."""
        match = self._regex.fullmatch(path)
        if match is None or ("/." in path and _has_dot_segment(path)):
            return None
        return self.routes[int((match.lastgroup or "r0")[1:])]

    def route_for(self, path: str) -> Route | None:
        """The first route matching ``path`` (for tests and documentation)."""
        match = self._regex.fullmatch(path)
        if match is None or match.lastgroup is None:
            return None
        return self.routes[int(match.lastgroup[1:])]

    def resolve_template(self, template: str) -> str | None:
        """The service that owns an OpenAPI path template such as ``/api/posts/{post_id}``."""
        return self.resolve(_PARAM.sub("0", template))
