"""One OpenAPI document for the public API: the services' committed contracts, merged.

Built from ``contracts/`` (not fetched from the services), so ``/docs`` works while a service
is down. Only what the route table sends to a document's service is kept (no service's
``/healthz`` or ``/readyz``); the gateway's own health endpoints and its own answers (413, 429,
502, 503, 504) are added. Schemas with one name but different shapes in two services are
namespaced ``<service>_<Name>``; identical ones (``HTTPValidationError``) are shared.
"""

import copy
import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from contracts.errors import ErrorBody
from gateway.routing import RATE_LIMITED_PATHS, RouteTable

TOKEN_URL = "/api/auth/token"  # noqa: S105 (a path, not a password)
SECURITY_SCHEME = "OAuth2PasswordBearer"
SCHEMA_REF = "#/components/schemas/"
METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})

GATEWAY_ANSWERS = {
    "502": "The service failed to answer (from the gateway)",
    "503": "The service is unavailable (from the gateway)",
    "504": "The service timed out (from the gateway)",
}
BODY_TOO_LARGE = "The body is over the gateway's GATEWAY_MAX_BODY_BYTES (from the gateway)"
RATE_LIMITED = "Too many login attempts from this client; see Retry-After (from the gateway)"

Document = dict[str, Any]


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
            name = ref.removeprefix(SCHEMA_REF)
            if name in renames:
                node["$ref"] = SCHEMA_REF + renames[name]
        for value in node.values():
            _rewrite_refs(value, renames)
    elif isinstance(node, list):
        for item in node:
            _rewrite_refs(item, renames)


def _referenced(node: Any) -> set[str]:
    """Names of the schemas ``node`` refers to directly."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        found = {ref.removeprefix(SCHEMA_REF)} if isinstance(ref, str) else set()
        return found.union(*(_referenced(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_referenced(item) for item in node))
    return set()


def prune_schemas(document: Document) -> None:
    """Drop, in place, the schemas no kept path needs (e.g. a service's own ``Readiness``)."""
    schemas = _schemas(document)
    needed: set[str] = set()
    frontier = _referenced(document.get("paths", {}))
    while frontier:
        needed |= frontier
        frontier = set().union(*(_referenced(schemas.get(name)) for name in frontier)) - needed
    document["components"]["schemas"] = {n: s for n, s in schemas.items() if n in needed}


def _schemas(document: Document) -> dict[str, Any]:
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    return schemas


def namespace_clashes(documents: Mapping[str, Document]) -> None:
    """Rename, in place, schemas that share a name but not a shape across documents.

    Repeats until stable: renaming a schema changes the references of schemas that use it,
    which can turn two identical schemas into different ones.
    """
    for _ in range(len(documents) * 100):
        shapes: defaultdict[str, set[str]] = defaultdict(set)
        for document in documents.values():
            for name, schema in _schemas(document).items():
                shapes[name].add(json.dumps(schema, sort_keys=True))
        clashes = {name for name, variants in shapes.items() if len(variants) > 1}
        if not clashes:
            return
        for service, document in documents.items():
            schemas = _schemas(document)
            renames = {name: f"{service}_{name}" for name in clashes if name in schemas}
            document["components"]["schemas"] = {
                renames.get(name, name): schema for name, schema in schemas.items()
            }
            _rewrite_refs(document, renames)
    raise RuntimeError("schema names did not settle while namespacing clashes")  # pragma: no cover


def _error_answer(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"{SCHEMA_REF}ErrorBody"}}},
    }


def _add_gateway_answers(path: str, operations: dict[str, Any]) -> None:
    for method, operation in operations.items():
        if method not in METHODS:
            continue
        responses = operation.setdefault("responses", {})
        for code, description in GATEWAY_ANSWERS.items():
            responses.setdefault(code, _error_answer(description))
        if "requestBody" in operation:
            responses.setdefault("413", _error_answer(BODY_TOO_LARGE))
        if path in RATE_LIMITED_PATHS:
            responses.setdefault("429", _error_answer(RATE_LIMITED))


def merge_documents(
    services: Mapping[str, Document],
    gateway: Document,
    table: RouteTable,
) -> Document:
    """The public document: ``gateway``'s info and own paths, plus each service's routed paths."""
    documents: dict[str, Document] = {"gateway": copy.deepcopy(gateway)}
    for service, document in services.items():
        document = copy.deepcopy(document)
        document["paths"] = {
            path: operations
            for path, operations in document.get("paths", {}).items()
            if table.resolve_template(path) == service
        }
        for path, operations in document["paths"].items():
            _add_gateway_answers(path, operations)
        prune_schemas(document)
        documents[service] = document
    namespace_clashes(documents)

    merged: Document = {
        "openapi": gateway.get("openapi", "3.1.0"),
        "info": copy.deepcopy(gateway["info"]),
        "paths": {},
        "components": {},
    }
    for name in [*services, "gateway"]:
        document = documents[name]
        merged["paths"].update(document["paths"])
        for section, entries in document.get("components", {}).items():
            merged["components"].setdefault(section, {}).update(entries)

    schemas = merged["components"].setdefault("schemas", {})
    error_body = ErrorBody.model_json_schema(ref_template=SCHEMA_REF + "{model}")
    schemas.setdefault("ErrorBody", error_body)
    merged["components"].setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
        "type": "oauth2",
        "flows": {"password": {"scopes": {}, "tokenUrl": TOKEN_URL}},
    }
    return merged
