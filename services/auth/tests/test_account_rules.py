"""Password policy, secrets kept out of 422s, and one account per look-alike spelling."""

import json
from typing import Any

import pytest
from httpx import AsyncClient

from auth_service import password_policy
from auth_service.identity import LOOKALIKE

from .conftest import PASSWORD, Outbox, register
from .test_password_reset import token_from

pytestmark = pytest.mark.anyio


def echoed_passwords(body: Any, key: str | None = None) -> list[Any]:
    """Every value a 422 body holds under a password key, or as the input of a password error,
    that is not the redaction marker (nor the request guard's empty ``input``)."""
    found: list[Any] = []
    if isinstance(body, dict):
        loc = body.get("loc") or []
        if "input" in body and loc and loc[-1] in ("password", "new_password"):
            found += [body["input"]] if body["input"] not in ("[redacted]", None) else []
        for name, value in body.items():
            if name in ("password", "new_password") and value != "[redacted]":
                found.append(value)
            found += echoed_passwords(value, name)
    elif isinstance(body, list):
        for value in body:
            found += echoed_passwords(value, key)
    return found


def messages(response: Any) -> list[str]:
    return [error["msg"] for error in response.json()["detail"]]


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("password", password_policy.COMMON),
        ("12345678", password_policy.COMMON),
        ("PassWord1", password_policy.COMMON),
        (" " * 8, password_policy.TOO_SHORT),
        ("a b c d e f g ", password_policy.TOO_SHORT),
        # refused before the handler runs, by the runtime's request guard (never a NUL to the DB)
        ("\x00" * 8, "control characters and lone surrogates are refused"),
        ("good pass\x07word", "control characters and lone surrogates are refused"),
        ("carol@example.com", password_policy.OWN_NAME),
        ("CarolTheGreat", password_policy.OWN_NAME),
    ],
)
async def test_weak_passwords_are_refused_and_never_echoed(
    client: AsyncClient, password: str, rule: str
) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"username": "CarolTheGreat", "email": "carol@example.com", "password": password},
    )

    assert response.status_code == 422
    assert any(rule in message for message in messages(response))
    assert echoed_passwords(response.json()) == []
    if password not in ("password", "carol@example.com", "CarolTheGreat") and password.strip():
        assert json.dumps(password)[1:-1] not in response.text


async def test_a_huge_password_is_refused_without_coming_back(client: AsyncClient) -> None:
    secret = "s3cret-" * 10_000
    for body in (
        {"username": "carol", "email": "carol@example.com", "password": secret},
        {"username": "carol", "password": secret},  # a missing field: the body is echoed
        {"username": "alice", "password": secret},
    ):
        path = "/api/auth/login" if "email" not in body and body["username"] == "alice" else None
        response = await client.post(path or "/api/auth/register", json=body)

        assert response.status_code == 422
        assert "s3cret" not in response.text
        assert len(response.content) < 2_000


async def test_secret_fields_are_redacted_wherever_they_are_echoed(client: AsyncClient) -> None:
    refresh = await client.post("/api/auth/refresh", json={"refresh_token": "r" * 300})
    reset = await client.post(
        "/api/auth/reset-password", json={"token": "t" * 300, "new_password": "password"}
    )

    for response in (refresh, reset):
        assert response.status_code == 422
        assert "rrrr" not in response.text
        assert "tttt" not in response.text
        assert echoed_passwords(response.json()) == []


async def test_a_reset_to_the_accounts_own_name_is_422(
    client: AsyncClient, user: dict[str, Any], outbox: Outbox
) -> None:
    await client.post("/api/auth/forgot-password", json={"email": user["email"]})

    response = await client.post(
        "/api/auth/reset-password",
        json={"token": token_from(outbox), "new_password": user["email"]},
    )

    assert response.status_code == 422
    assert messages(response) == [password_policy.OWN_NAME]
    assert user["email"] not in response.text
    login = await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    assert login.status_code == 200


@pytest.mark.parametrize(
    "email",
    [
        "\uff41lice@example.com",  # fullwidth a: NFKC makes it alice
        "ALICE@example.com",
        "Alice@EXAMPLE.com",
    ],
)
async def test_an_email_that_normalises_to_a_taken_one_is_taken(
    client: AsyncClient, user: dict[str, Any], email: str
) -> None:
    response = await client.post(
        "/api/auth/register", json={"username": "mallory", "email": email, "password": PASSWORD}
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "Email already registered"}


async def test_a_fullwidth_email_logs_in_to_the_same_account(
    client: AsyncClient, user: dict[str, Any]
) -> None:
    response = await client.post(
        "/api/auth/login",
        json={"username": "\uff41lice@example.com", "password": PASSWORD},
    )

    assert response.status_code == 200


async def test_a_mixed_script_lookalike_email_is_refused(
    client: AsyncClient, user: dict[str, Any]
) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"username": "mallory", "email": "\u0430lice@example.com", "password": PASSWORD},
    )

    assert response.status_code == 422
    assert any(LOOKALIKE in message for message in messages(response))


async def test_a_single_script_email_is_welcome(client: AsyncClient) -> None:
    body = await register(client, "ivan", email="\u0438\u0432\u0430\u043d@example.com")

    assert body["email"] == "\u0438\u0432\u0430\u043d@example.com"


async def test_a_fullwidth_username_is_the_ascii_one(
    client: AsyncClient, user: dict[str, Any]
) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"username": "\uff21LICE", "email": "other@example.com", "password": PASSWORD},
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "Username already taken"}
