"""Consumer-side contract test: what this service relies on from the preferences service,
checked against the preferences service's committed OpenAPI document.

The provider's own drift test keeps that document equal to its code; this test keeps the
document (and the stubs this suite answers with) compatible with what the weather service
sends and reads. A change on either side that breaks the call fails here, without starting
the other service.
"""

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from contracts.openapi import document_path, load_document
from weather_service.preferences import PREFERENCES_PATH

from .conftest import NO_PREFERENCES, REJECTED_TOKEN, saved

PROVIDER = "preferences"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    path = document_path(PROVIDER)
    assert path.exists(), (
        f"{path} is missing: the preferences service must commit its OpenAPI document "
        "(`make contracts`) for the weather service's consumer contract to be checked"
    )
    return load_document(PROVIDER)


@pytest.fixture(scope="module")
def operation(document: dict[str, Any]) -> dict[str, Any]:
    """``GET /api/users/me/preferences``: the one operation the weather service calls."""
    assert PREFERENCES_PATH in document["paths"], f"{PREFERENCES_PATH} is not in the contract"
    path_item = document["paths"][PREFERENCES_PATH]
    assert "get" in path_item, f"GET {PREFERENCES_PATH} is not in the contract"
    op: dict[str, Any] = path_item["get"]
    return op


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow local ``$ref``s (``#/components/schemas/...``)."""
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def json_schema(document: dict[str, Any], operation: dict[str, Any], status: str) -> dict[str, Any]:
    response = operation["responses"].get(status)
    assert response is not None, f"GET {PREFERENCES_PATH} does not document a {status}"
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema


def validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for ``schema`` whose ``$ref``s resolve inside the whole document."""
    return Draft202012Validator({**schema, "components": document.get("components", {})})


def test_it_is_called_with_the_callers_bearer_token(
    document: dict[str, Any], operation: dict[str, Any]
) -> None:
    requirements = operation.get("security", document.get("security", []))
    schemes = document.get("components", {}).get("securitySchemes", {})

    kinds = [
        (schemes[name]["type"], schemes[name].get("scheme", "").lower())
        for requirement in requirements
        for name in requirement
    ]

    assert kinds, f"GET {PREFERENCES_PATH} declares no security: it must require the caller's token"
    bearer = {("oauth2", ""), ("http", "bearer")}  # OAuth2 access tokens are bearer tokens
    assert set(kinds) <= bearer, f"GET {PREFERENCES_PATH} must take a bearer token, not {kinds}"


def test_the_200_body_has_the_city_this_service_reads(
    document: dict[str, Any], operation: dict[str, Any]
) -> None:
    schema = resolve(document, json_schema(document, operation, "200"))

    assert "city" in schema.get("required", []), "city must always be present"
    assert resolve(document, schema["properties"]["city"]).get("type") == "string"


def test_the_stubbed_200_body_is_one_the_provider_may_send(
    document: dict[str, Any], operation: dict[str, Any]
) -> None:
    """The suite's respx stub for preferences is held to the provider's schema, so the tests
    of ``/api/weather/me`` cannot pass against a body the real service would never send."""
    validator(document, json_schema(document, operation, "200")).validate(saved("Lisbon"))


@pytest.mark.parametrize(("status", "body"), [("404", NO_PREFERENCES), ("401", REJECTED_TOKEN)])
def test_the_errors_this_service_maps_are_documented(
    document: dict[str, Any], operation: dict[str, Any], status: str, body: dict[str, str]
) -> None:
    """404 → "Preferences not found", 401 → 401 for the caller: both must be in the contract."""
    validator(document, json_schema(document, operation, status)).validate(body)
