"""422s never echo a secret field, however the validation error carries it."""

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from pydantic import BaseModel, Field

from inkwell_runtime.errors import install_error_handlers

pytestmark = pytest.mark.anyio


class Body(BaseModel):
    name: str
    password: str = Field(max_length=8)
    nested: dict[str, str] = {}


def client() -> AsyncClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/")
    async def take(body: Body) -> None: ...

    return AsyncClient(transport=ASGITransport(app=app), base_url="http://svc")


async def test_a_rejected_password_is_not_echoed() -> None:
    response = await client().post("/", json={"name": "n", "password": "hunter2-hunter2"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == "[redacted]"
    assert "hunter2" not in response.text


async def test_a_body_echoed_whole_has_its_secrets_redacted() -> None:
    response = await client().post(
        "/", json={"password": "hunter2", "nested": {"refresh_token": "opaque-secret"}}
    )

    assert response.status_code == 422
    (missing,) = response.json()["detail"]
    assert missing["loc"] == ["body", "name"]
    assert missing["input"] == {"password": "[redacted]", "nested": {"refresh_token": "[redacted]"}}
    assert "hunter2" not in response.text and "opaque-secret" not in response.text
