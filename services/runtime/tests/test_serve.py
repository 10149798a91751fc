"""``python -m inkwell_runtime.serve``: logging configured at process start, then uvicorn."""

import json
import logging
from typing import Any

import pytest

from inkwell_runtime import serve


@pytest.mark.parametrize(
    ("factory", "name"),
    [
        ("auth_service.main:create_app", "auth"),
        ("gateway.main:create_app", "gateway"),
        ("inkwell_e2e.stubs.weather:create_app", "inkwell_e2e"),
    ],
)
def test_the_service_name_comes_from_the_factory(factory: str, name: str) -> None:
    assert serve.service_name(factory) == name


def test_logging_is_configured_before_uvicorn_serves_the_factory(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served: dict[str, Any] = {}

    def run(app: str, **options: Any) -> None:
        logging.getLogger("uvicorn.error").info("serving")
        served.update(app=app, **options)

    monkeypatch.setattr(serve.uvicorn, "run", run)
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    monkeypatch.setenv("LOG_JSON", "true")

    serve.main(["media_service.main:create_app", "--port", "8004", "--host", "10.1.2.3"])

    assert served == {
        "app": "media_service.main:create_app",
        "factory": True,
        "host": "10.1.2.3",
        "port": 8004,
        "timeout_graceful_shutdown": None,
        "log_config": None,  # uvicorn keeps the logging configured here
    }
    (line,) = [json.loads(x) for x in capsys.readouterr().err.splitlines() if "serving" in x]
    assert (line["service"], line["logger"], line["request_id"]) == ("media", "uvicorn.error", "-")
