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
    monkeypatch.delenv("UVICORN_HTTP", raising=False)

    serve.main(["media_service.main:create_app", "--port", "8004", "--host", "10.1.2.3"])

    assert served == {
        "app": "media_service.main:create_app",
        "factory": True,
        "host": "10.1.2.3",
        "port": 8004,
        "timeout_graceful_shutdown": None,
        "http": "auto",
        "proxy_headers": True,
        "forwarded_allow_ips": None,  # uvicorn's default: $FORWARDED_ALLOW_IPS, else 127.0.0.1
        "log_config": None,  # uvicorn keeps the logging configured here
    }
    (line,) = [json.loads(x) for x in capsys.readouterr().err.splitlines() if "serving" in x]
    assert (line["service"], line["logger"], line["request_id"]) == ("media", "uvicorn.error", "-")


def test_the_gateway_gets_its_edge_protocol_and_trusts_no_proxy_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``UVICORN_HTTP`` (compose, make dev) picks the protocol class that enforces the
    gateway's header and body limits; ``--no-proxy-headers`` makes the TCP peer the client."""
    served: dict[str, Any] = {}
    monkeypatch.setattr(serve.uvicorn, "run", lambda app, **options: served.update(options))
    monkeypatch.setenv("UVICORN_HTTP", "gateway.edge:EdgeProtocol")

    serve.main(["gateway.main:create_app", "--no-proxy-headers"])

    assert (served["http"], served["proxy_headers"]) == ("gateway.edge:EdgeProtocol", False)
    serve.main(["gateway.main:create_app", "--forwarded-allow-ips", "10.0.0.5", "--http", "h11"])
    assert (served["forwarded_allow_ips"], served["http"]) == ("10.0.0.5", "h11")
