"""Bodies that are not UTF-8 are a 422 like any other bad JSON (FastAPI alone says 400)."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from inkwell_runtime.app import build_service_app
from inkwell_runtime.settings import ServiceSettings
from inkwell_testing.tokens import TestSigner

pytestmark = pytest.mark.anyio


class Note(BaseModel):
    text: str


def make_app(signer: TestSigner) -> FastAPI:
    from fastapi import APIRouter

    router = APIRouter()

    @router.post("/notes")
    async def create(note: Note) -> Note:
        return note

    @router.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(418, "I'm a teapot", headers={"X-Brew": "earl grey"})

    return build_service_app(
        ServiceSettings(environment="test"),
        name="errors-test",
        description="",
        routers=[router],
        token_verifier=signer.verifier(),
    )


@pytest.fixture
async def client(signer: TestSigner) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(signer))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as client:
        yield client


async def test_a_body_that_is_not_utf8_is_422_json_invalid(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/notes", content=b'{"text": "\xff"}', headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["type"] == "json_invalid"
    assert error["loc"] == ["body"]


async def test_other_http_errors_keep_their_status_detail_and_headers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/teapot")

    assert response.status_code == 418
    assert response.json() == {"detail": "I'm a teapot"}
    assert response.headers["X-Brew"] == "earl grey"


async def test_valid_json_still_reaches_the_route(client: httpx.AsyncClient) -> None:
    response = await client.post("/notes", json={"text": "héllo"})

    assert response.status_code == 200
    assert response.json() == {"text": "héllo"}


async def test_a_405_allows_every_method_the_path_takes(signer: TestSigner) -> None:
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/things")
    async def list_things() -> list[str]:
        return []

    @router.post("/things")
    async def add_thing() -> None:
        return None

    app = build_service_app(
        ServiceSettings(environment="test"),
        name="allow-test",
        description="",
        routers=[router],
        token_verifier=signer.verifier(),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as client:
        response = await client.options("/things")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json() == {"detail": "Method Not Allowed"}


async def test_a_500_tells_the_caller_to_close_the_connection(signer: TestSigner) -> None:
    """The server drops the connection after an unhandled error; saying so keeps a proxy
    (the gateway) from sending the next, unrelated request on it."""
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/broken")
    async def broken() -> None:
        raise RuntimeError("a bug")

    app = build_service_app(
        ServiceSettings(environment="test"),
        name="broken-test",
        description="",
        routers=[router],
        token_verifier=signer.verifier(),
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as client:
        response = await client.get("/broken")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error"}
    assert response.headers["connection"] == "close"
