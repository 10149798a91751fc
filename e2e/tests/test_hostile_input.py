"""No request can hurt another: hostile requests alternate with valid ones through the gateway.

Each hostile request is refused with a 4xx by the service's request guard (never a 500, never a
dropped connection), and the valid request right after it, on the same kept-alive connections,
succeeds. Before the guard a NUL in a login made a 500 and failed the next user's login (502).
"""

import itertools
import json
from typing import Any

import httpx
import pytest

from inkwell_e2e.flows import User

pytestmark = pytest.mark.anyio

JSON = {"content-type": "application/json"}
DEEP = b"[" * 5000 + b"]" * 5000


def hostile_requests(alice: User) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, httpx arguments) of one request of each hostile kind."""
    mine = alice.headers
    return [
        ("POST", "/api/auth/login", {"json": {"username": "\x00", "password": "x"}}),
        ("POST", "/api/auth/token", {"data": {"username": "a\x00b", "password": "x"}}),
        (
            "POST",
            "/api/auth/register",
            {
                "content": b'{"username": "nanny", "email": "n@example.com", "password": NaN}',
                "headers": JSON,
            },
        ),
        (
            "POST",
            "/api/auth/forgot-password",
            {
                "content": b'{"email": "x@example.com", "n": Infinity}',
                "headers": JSON,
            },
        ),
        (
            "POST",
            "/api/auth/reset-password",
            {
                "content": b'{"token": "t", "new_password": "p4ssword!", "n": -Infinity}',
                "headers": JSON,
            },
        ),
        ("POST", "/api/posts", {"content": DEEP, "headers": {**JSON, **mine}}),
        (
            "POST",
            "/api/posts",
            {
                "content": b'{"title": "t", "content": "c", "n": 1' + b"0" * 400 + b"}",
                "headers": {**JSON, **mine},
            },
        ),
        (
            "POST",
            "/api/auth/login",
            {
                "content": b'{"username": "\\udc00", "password": "x"}',
                "headers": JSON,
            },
        ),
        (
            "POST",
            "/api/auth/register",
            {
                "content": b'{"username": "\xff\xfe", "email": "a@example.com", "password": "x"}',
                "headers": JSON,
            },
        ),
        (
            "POST",
            "/api/auth/login",
            {
                "content": b"username=alice&password=x",
                "headers": {"content-type": "text/plain"},
            },
        ),
        (
            "PUT",
            "/api/users/me/preferences",
            {
                "content": json.dumps({"city": "Lis\x00bon"}).encode(),
                "headers": {**JSON, **mine},
            },
        ),
        ("GET", "/api/posts?skip=0%00", {}),
        ("GET", "/api/weather/Lis%00bon", {}),
        (
            "PATCH",
            "/api/posts/1",
            {
                "content": b'{"title": 1e999}',
                "headers": {**JSON, **mine},
            },
        ),
    ]


def valid_requests(alice: User) -> list[tuple[str, str, dict[str, Any]]]:
    login = {"username": alice.username, "password": alice.password}
    return [
        ("POST", "/api/auth/login", {"json": login}),
        ("GET", "/api/posts", {}),
        ("GET", "/api/auth/jwks.json", {}),
        ("GET", "/api/users/me", {"headers": alice.headers}),
        ("POST", "/api/auth/token", {"data": login}),
    ]


async def test_hostile_requests_never_fail_the_valid_ones_between_them(
    gateway: httpx.AsyncClient, alice: User
) -> None:
    hostile = itertools.cycle(hostile_requests(alice))
    valid = itertools.cycle(valid_requests(alice))
    refused: list[tuple[str, int]] = []
    served: list[tuple[str, int]] = []

    for _ in range(100):
        method, path, kwargs = next(hostile)
        answer = await gateway.request(method, path, **kwargs)
        refused.append((f"{method} {path}", answer.status_code))
        assert "detail" in answer.json(), answer.text
        method, path, kwargs = next(valid)
        answer = await gateway.request(method, path, **kwargs)
        served.append((f"{method} {path}", answer.status_code))

    assert [(what, status) for what, status in refused if not 400 <= status < 500] == []
    assert [(what, status) for what, status in served if not 200 <= status < 300] == []
