"""422s never echo a secret field, however the validation error carries it."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from inkwell_runtime.errors import install_error_handlers


class Body(BaseModel):
    name: str
    password: str = Field(max_length=8)
    nested: dict[str, str] = {}


def client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/")
    async def take(body: Body) -> None: ...

    return TestClient(app)


def test_a_rejected_password_is_not_echoed() -> None:
    response = client().post("/", json={"name": "n", "password": "hunter2-hunter2"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == "[redacted]"
    assert "hunter2" not in response.text


def test_a_body_echoed_whole_has_its_secrets_redacted() -> None:
    response = client().post(
        "/", json={"password": "hunter2", "nested": {"refresh_token": "opaque-secret"}}
    )

    assert response.status_code == 422
    (missing,) = response.json()["detail"]
    assert missing["loc"] == ["body", "name"]
    assert missing["input"] == {"password": "[redacted]", "nested": {"refresh_token": "[redacted]"}}
    assert "hunter2" not in response.text and "opaque-secret" not in response.text
