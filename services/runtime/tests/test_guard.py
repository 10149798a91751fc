"""The request guard: hostile input is a 4xx with a clear detail before any route runs."""

from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Form, Request
from pydantic import BaseModel

from inkwell_runtime.app import build_service_app
from inkwell_runtime.settings import ServiceSettings
from inkwell_testing.tokens import TestSigner

pytestmark = pytest.mark.anyio


class Note(BaseModel):
    text: str
    score: float = 0.0
    extra: Any = None


SEEN: list[str] = []
"""What reached a route: a refused request must leave it empty."""


def make_app(signer: TestSigner, **settings: Any) -> FastAPI:
    router = APIRouter()

    @router.post("/notes")
    async def create(note: Note) -> Note:
        SEEN.append(note.text)
        return note

    @router.post("/login")
    async def login(username: str = Form(), password: str = Form()) -> dict[str, str]:
        SEEN.append(username)
        return {"username": username}

    @router.get("/search")
    async def search(q: str = "") -> dict[str, str]:
        SEEN.append(q)
        return {"q": q}

    @router.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        body = await request.body()
        SEEN.append("raw")
        return {"size": len(body)}

    return build_service_app(
        ServiceSettings(environment="test", **settings),
        name="guard-test",
        description="",
        routers=[router],
        token_verifier=signer.verifier(),
    )


@pytest.fixture
async def client(signer: TestSigner) -> AsyncIterator[httpx.AsyncClient]:
    SEEN.clear()
    app = make_app(signer, max_body_bytes=16384, max_json_depth=8)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as client:
        yield client


def refusal(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert SEEN == []
    return cast(dict[str, Any], error)


JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        (b'{"text": "a\\u0000b"}', ["body", "text"], "string_invalid_character"),
        (b'{"text": "bell\\u0007"}', ["body", "text"], "string_invalid_character"),
        (b'{"text": "\\ud800"}', ["body", "text"], "string_invalid_character"),
        (
            b'{"text": "ok", "extra": {"k\\u0000": 1}}',
            ["body", "extra", "k\x00"],
            "string_invalid_character",
        ),
        (b'{"text": "ok", "score": NaN}', ["body"], "finite_number"),
        (b'{"text": "ok", "score": -Infinity}', ["body"], "finite_number"),
        (b'{"text": "ok", "score": 1e999}', ["body"], "finite_number"),
        (b'{"text": "ok", "extra": 99999999999999999999}', ["body"], "int_too_large"),
        (b'{"text": "ok", "extra": ' + b"9" * 5000 + b"}", ["body"], "int_too_large"),
        (b'{"text": "ok", "extra": ' + b"[" * 9 + b"]" * 9 + b"}", ["body"], "json_too_deep"),
        (b"[" * 5000 + b"]" * 5000, ["body"], "json_too_deep"),
    ],
)
async def test_hostile_json_is_refused_before_the_route(
    client: httpx.AsyncClient, body: bytes, loc: list[Any], kind: str
) -> None:
    error = refusal(await client.post("/notes", content=body, headers=JSON))

    assert error["loc"] == loc
    assert error["type"] == kind
    assert error["msg"]


async def test_json_without_a_content_type_is_checked_too(client: httpx.AsyncClient) -> None:
    error = refusal(await client.post("/notes", content=b'{"text": "\\u0000"}'))

    assert "NUL" in error["msg"]


async def test_tabs_newlines_and_ordinary_unicode_pass(client: httpx.AsyncClient) -> None:
    text = "line one\n\tline two\r\n — ünïcode 🎉"
    response = await client.post("/notes", json={"text": text, "extra": [[1, 2.5, True, None]]})

    assert response.status_code == 200
    assert response.json()["text"] == text
    assert [text] == SEEN


async def test_nesting_up_to_the_bound_passes(client: httpx.AsyncClient) -> None:
    nested: Any = 1
    for _ in range(7):  # the body object is level 1: 8 levels in all
        nested = [nested]
    response = await client.post("/notes", json={"text": "deep", "extra": nested})

    assert response.status_code == 200


async def test_a_nul_in_a_form_field_is_refused(client: httpx.AsyncClient) -> None:
    error = refusal(await client.post("/login", data={"username": "\x00", "password": "x"}))

    assert error["loc"] == ["body", "username"]


async def test_a_nul_in_the_query_is_refused(client: httpx.AsyncClient) -> None:
    error = refusal(await client.get("/search?q=a%00b"))

    assert error["loc"] == ["query", "q"]


async def test_json_that_does_not_parse_is_left_to_fastapi(client: httpx.AsyncClient) -> None:
    response = await client.post("/notes", content=b'{"text": ', headers=JSON)

    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_a_declared_body_over_the_cap_is_413_without_reading(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/raw", content=b"x" * 20000)

    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large: the limit is 16384 bytes"}
    assert response.headers["connection"] == "close"
    assert SEEN == []


async def test_a_streamed_body_over_the_cap_is_413_while_reading(
    client: httpx.AsyncClient,
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(1000):
            sent += 1024
            yield b"x" * 1024

    response = await client.post("/raw", content=chunks())

    assert response.status_code == 413
    assert SEEN == []


async def test_a_body_within_the_cap_reaches_the_route_whole(client: httpx.AsyncClient) -> None:
    response = await client.post("/raw", content=b"x" * 16384)

    assert response.status_code == 200
    assert response.json() == {"size": 16384}


async def test_the_openapi_document_states_the_rules_and_the_413(signer: TestSigner) -> None:
    document = make_app(signer, max_body_bytes=4096).openapi()

    responses = document["paths"]["/notes"]["post"]["responses"]
    assert "4096 bytes" in responses["413"]["description"]
    assert "NaN" in responses["422"]["description"]
    assert "413" not in document["paths"]["/search"]["get"]["responses"]


async def test_an_upload_streams_to_the_route_and_is_cut_off_past_the_cap(
    client: httpx.AsyncClient,
) -> None:
    octets = {"content-type": "application/octet-stream"}

    small = await client.post("/raw", content=b"x" * 16384, headers=octets)
    large = await client.post("/raw", content=b"x" * 16385, headers=octets)

    assert small.json() == {"size": 16384}
    assert large.status_code == 413
    assert large.json() == {"detail": "Request body too large: the limit is 16384 bytes"}
    assert large.headers["connection"] == "close"
