"""``python -m inkwell_runtime.serve``: logging configured at process start, then uvicorn."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from inkwell_runtime import serve
from inkwell_runtime.settings import ServiceSettings


@pytest.fixture(autouse=True)
def _no_dot_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """serve.main reads ``.env`` in the working directory: here, an empty folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENV_FILE", raising=False)


def fake_server(served: dict[str, Any]) -> type:
    """Stands in for DrainingServer: records what it was given instead of serving."""

    class Server:
        def __init__(self, config: uvicorn.Config, *, app: FastAPI, drain_seconds: float) -> None:
            served.update(config=config, app=app, drain_seconds=drain_seconds)

        def run(self) -> None:
            logging.getLogger("uvicorn.error").info("serving")

    return Server


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
    monkeypatch.setattr(serve, "DrainingServer", fake_server(served))
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    monkeypatch.setenv("LOG_JSON", "true")
    monkeypatch.setenv("SHUTDOWN_DRAIN_SECONDS", "5")
    monkeypatch.delenv("UVICORN_HTTP", raising=False)
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)

    serve.main(["media_service.main:create_app", "--port", "8004", "--host", "10.1.2.3"])

    config: uvicorn.Config = served["config"]
    assert isinstance(served["app"], FastAPI)
    assert served["app"].title == "Inkwell media"  # the factory was called: one app, drained
    assert config.app is served["app"]
    assert served["drain_seconds"] == 5
    assert (config.host, config.port, config.http) == ("10.1.2.3", 8004, "auto")
    assert config.timeout_graceful_shutdown == 20  # SHUTDOWN_TIMEOUT_SECONDS' default
    assert config.proxy_headers is True
    assert config.forwarded_allow_ips == "127.0.0.1,::1"  # uvicorn's default
    assert config.log_config is None  # uvicorn keeps the logging configured here
    (line,) = [json.loads(x) for x in capsys.readouterr().err.splitlines() if "serving" in x]
    assert (line["service"], line["logger"], line["request_id"]) == ("media", "uvicorn.error", "-")


def test_the_gateway_gets_its_edge_protocol_and_trusts_no_proxy_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``UVICORN_HTTP`` (compose, make dev) picks the protocol class that enforces the
    gateway's header and body limits; ``--no-proxy-headers`` makes the TCP peer the client."""
    served: dict[str, Any] = {}
    monkeypatch.setattr(serve, "DrainingServer", fake_server(served))
    monkeypatch.setenv("UVICORN_HTTP", "gateway.edge:EdgeProtocol")

    serve.main(
        ["gateway.main:create_app", "--no-proxy-headers", "--timeout-graceful-shutdown", "5"]
    )

    config: uvicorn.Config = served["config"]
    assert (config.http, config.proxy_headers) == ("gateway.edge:EdgeProtocol", False)
    assert config.timeout_graceful_shutdown == 5
    serve.main(["gateway.main:create_app", "--forwarded-allow-ips", "10.0.0.5", "--http", "h11"])
    config = served["config"]
    assert (config.forwarded_allow_ips, config.http) == ("10.0.0.5", "h11")


def served_process(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m inkwell_runtime.serve`` in ``cwd``, serving a factory that does not exist:
    it stops right after its settings are read (or refused), serving nothing."""
    environ = {k: v for k, v in os.environ.items() if k not in {"ENV_FILE", "MAX_JSON_DEPTH"}}
    return subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "inkwell_runtime.serve", "no_such_module:create_app", *args],
        cwd=cwd,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


BAD_DOT_ENV = "# a developer's .env, with a mistake\nMAX_JSON_DEPTH=not-a-number\n"


def test_a_dot_env_reaches_a_served_process_but_never_the_suites_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(BAD_DOT_ENV)
    monkeypatch.delenv("MAX_JSON_DEPTH", raising=False)

    # what a test builds: the .env in the working directory changes nothing
    assert ServiceSettings().max_json_depth == 32

    # a served process reads it, and refuses the bad value by name before serving anything
    refused = served_process(tmp_path)
    assert refused.returncode != 0
    assert "1 setting(s) from .env: MAX_JSON_DEPTH" in refused.stderr
    assert "max_json_depth" in refused.stderr


def test_the_environment_wins_over_dot_env_and_env_file_chooses_or_disables_it(
    tmp_path: Path,
) -> None:
    (tmp_path / ".env").write_text(BAD_DOT_ENV)
    (tmp_path / "good.env").write_text("MAX_JSON_DEPTH=8\n")

    for result in (
        served_process(tmp_path, MAX_JSON_DEPTH="16"),  # the environment wins
        served_process(tmp_path, "--env-file", ""),  # none read
        served_process(tmp_path, ENV_FILE=""),
        served_process(tmp_path, ENV_FILE="good.env"),
    ):
        # past the settings: uvicorn then fails to import the factory
        assert "max_json_depth" not in result.stderr, result.stderr
        assert "no_such_module" in result.stderr, result.stderr
    assert "1 setting(s) from good.env: MAX_JSON_DEPTH" in result.stderr
