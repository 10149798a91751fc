"""Routing against the services' committed contracts (``contracts/src/contracts/openapi``).

Every operation a service documents must reach that service through the gateway, unchanged;
every route in the table must serve some documented operation (so nothing else is routed);
and all five services must have a document, so this cannot pass on fewer of them.
"""

import re

import pytest
from httpx import AsyncClient

from contracts.openapi import available, load_document
from gateway.docs import METHODS
from gateway.routing import ROUTES, SERVICES, RouteTable

from .conftest import Services

pytestmark = pytest.mark.anyio

NOT_PUBLIC = {"/healthz", "/readyz"}
PARAMETER = re.compile(r"\{[^}]+\}")


def documented_operations() -> list[tuple[str, str, str]]:
    """(service, method, path template) for every public operation of every committed document."""
    return [
        (service, method.upper(), path)
        for service in available()
        for path, operations in load_document(service)["paths"].items()
        if path not in NOT_PUBLIC
        for method in operations
        if method in METHODS
    ]


def test_every_service_has_a_committed_contract() -> None:
    assert set(available()) == set(SERVICES)


@pytest.mark.parametrize("value", ["42", "me"])
@pytest.mark.parametrize(("service", "method", "template"), documented_operations())
async def test_every_documented_operation_reaches_its_service(
    client: AsyncClient,
    services: Services,
    service: str,
    method: str,
    template: str,
    value: str,
) -> None:
    for name, fake in services.items():
        fake.on_any(json={"service": name})
    path = PARAMETER.sub(value, template)

    response = await client.request(method, path)

    assert response.status_code == 200, response.text
    if method != "HEAD":
        assert response.json() == {"service": service}
    [forwarded] = services[service].calls  # and no other service was called
    assert (forwarded.method, forwarded.target) == (method, path)


def test_every_route_serves_a_documented_operation() -> None:
    """A route no committed operation needs would send unknown paths to a service: none exist."""
    table = RouteTable()
    used = {table.route_for(PARAMETER.sub("42", path)) for _, _, path in documented_operations()}
    assert [route for route in ROUTES if route not in used] == []


@pytest.mark.parametrize("service", SERVICES)
def test_no_documented_path_is_owned_by_another_service(service: str) -> None:
    if service not in available():
        pytest.skip(f"{service} has no committed document yet")
    table = RouteTable()
    paths = load_document(service)["paths"].keys() - NOT_PUBLIC
    assert {path: table.resolve_template(path) for path in paths} == dict.fromkeys(paths, service)
