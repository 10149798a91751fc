"""`/openapi.json` and `/docs`: one document for the public API, from committed contracts."""

from typing import Any

import pytest
from httpx import AsyncClient
from openapi_spec_validator import validate

from contracts.openapi import available, load_document
from gateway.docs import METHODS, merge_documents
from gateway.routing import RATE_LIMITED_PATHS, RouteTable

from .conftest import Services

pytestmark = pytest.mark.anyio

NOT_PUBLIC = {"/healthz", "/readyz"}


@pytest.fixture
async def document(client: AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(refs(item) for item in node))
    return set()


async def test_every_public_operation_of_every_service_is_documented(
    document: dict[str, Any],
) -> None:
    for service in available():
        for path, operations in load_document(service)["paths"].items():
            if path in NOT_PUBLIC:
                continue
            documented = {m for m in document["paths"][path] if m in METHODS}
            assert documented == {m for m in operations if m in METHODS}, (service, path)


async def test_the_merged_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)  # raises with the offending location if not


async def test_health_paths_are_the_gateways_own(document: dict[str, Any]) -> None:
    readiness = document["paths"]["/readyz"]["get"]["responses"]["200"]["content"]
    schema_ref = readiness["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert set(schema["properties"]) == {"status", "services", "details"}
    assert "/healthz" in document["paths"]


async def test_only_schemas_the_public_paths_need_are_kept(document: dict[str, Any]) -> None:
    """The services' own ``Readiness`` went with their ``/readyz``; every other schema is used."""
    schemas = document["components"]["schemas"]
    assert "Readiness" not in schemas
    used: set[str] = set()
    frontier = refs(document["paths"])
    while frontier:
        used |= frontier
        frontier = set().union(*(refs(schemas[r.rsplit("/", 1)[1]]) for r in frontier)) - used
    assert {name for name in schemas if f"#/components/schemas/{name}" not in used} == set()


async def test_authorize_uses_the_password_flow_at_the_token_route(
    document: dict[str, Any],
) -> None:
    scheme = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["flows"]["password"]["tokenUrl"] == "/api/auth/token"
    assert "/api/auth/token" in document["paths"]


async def test_every_reference_resolves_and_operation_ids_are_unique(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    assert {ref.removeprefix("#/components/schemas/") for ref in refs(document)} <= set(schemas)
    ids = [
        op["operationId"]
        for ops in document["paths"].values()
        for method, op in ops.items()
        if method in METHODS
    ]
    assert len(ids) == len(set(ids))


async def test_the_gateways_own_answers_are_documented(document: dict[str, Any]) -> None:
    for path in RATE_LIMITED_PATHS:
        assert "429" in document["paths"][path]["post"]["responses"]
    me = document["paths"]["/api/users/me"]["get"]["responses"]
    assert {"502", "503", "504"} <= set(me)
    assert "413" in document["paths"]["/api/auth/register"]["post"]["responses"]


async def test_docs_work_while_every_service_is_down(
    client: AsyncClient, services: Services
) -> None:
    """Nothing is fetched from the services: every one would answer, and none is called."""
    routes = [fake.on_any(json={}) for fake in services.values()]
    docs = await client.get("/docs")
    spec = await client.get("/openapi.json")

    assert docs.status_code == 200
    assert "swagger-ui" in docs.text
    assert "/openapi.json" in docs.text
    assert spec.status_code == 200
    assert not any(route.called for route in routes)


def schema(title: str, **properties: Any) -> dict[str, Any]:
    return {"title": title, "type": "object", "properties": properties}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_answer(name: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": ref(name)}}}


def service_document(path: str, schemas: dict[str, Any], response: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "x", "version": "0"},
        "paths": {
            path: {
                "parameters": [],  # path-level, not an operation
                "get": {
                    "operationId": path,
                    "responses": {
                        "200": json_answer(response),
                        "422": json_answer("HTTPValidationError"),
                    },
                },
            },
            "/healthz": {"get": {"operationId": f"{path}-health", "responses": {}}},
        },
        "components": {"schemas": schemas},
    }


def test_same_name_different_shape_schemas_are_namespaced_and_identical_ones_shared() -> None:
    validation = schema("HTTPValidationError", detail={"type": "array"})
    auth = service_document(
        "/api/auth/me",
        {
            "Message": schema("Message", text={"type": "string"}),
            "Envelope": schema("Envelope", message={"anyOf": [ref("Message"), {"type": "null"}]}),
            "HTTPValidationError": validation,
        },
        "Envelope",
    )
    content = service_document(
        "/api/posts",
        {
            "Message": schema("Message", body={"type": "string"}),
            # the same text as auth's Envelope, but its Message is another one
            "Envelope": schema("Envelope", message={"anyOf": [ref("Message"), {"type": "null"}]}),
            "HTTPValidationError": validation,
        },
        "Envelope",
    )
    gateway = {"openapi": "3.1.0", "info": {"title": "Inkwell API", "version": "1"}, "paths": {}}

    merged = merge_documents({"auth": auth, "content": content}, gateway, RouteTable())

    schemas = merged["components"]["schemas"]
    assert {"HTTPValidationError", "auth_Message", "content_Message"} <= set(schemas)
    assert "Message" not in schemas
    assert {"auth_Envelope", "content_Envelope"} <= set(schemas)  # alike until Message split
    message = schemas["content_Envelope"]["properties"]["message"]
    assert message["anyOf"][0] == ref("content_Message")
    content_answer = merged["paths"]["/api/posts"]["get"]["responses"]["200"]["content"]
    assert content_answer["application/json"]["schema"] == ref("content_Envelope")
    assert "/healthz" not in merged["paths"]  # a service's own health is not public


def test_a_path_a_document_claims_but_another_service_owns_is_left_out() -> None:
    stray = service_document("/api/users/me", {"Thing": schema("Thing")}, "Thing")
    gateway = {"openapi": "3.1.0", "info": {"title": "Inkwell API", "version": "1"}, "paths": {}}

    merged = merge_documents({"content": stray}, gateway, RouteTable())

    assert merged["paths"] == {}
