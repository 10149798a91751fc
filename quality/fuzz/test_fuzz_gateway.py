"""Fuzz the gateway: its merged OpenAPI, over real HTTP, against the whole system running.

The gateway's value is the composition (routing, streaming, the mapping of service faults to
502/503/504, the merged contract), which only shows with real services behind it. So the
system runs as processes under the e2e runner (``inkwell_e2e``, the same supervisor as
``make dev``) on ports of its own (``FUZZ_PORT_BASE``, default 19100), with its own databases
and folders, and the requests go over TCP to the real gateway (uvicorn). The tokens are real:
an account registered through the gateway and logged in, with the admin role (bootstrap
email), so the admin routes are fuzzed too.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from schemathesis import Case

from gateway.core.config import GatewaySettings
from gateway.main import create_app
from inkwell_devstack.config import StackConfig, side_stack
from inkwell_devstack.stack import Supervisor
from inkwell_e2e.flows import PASSWORD

from .conftest import MAX_EXAMPLES, call_and_check, generation_options
from .hostile import send_corpus

ROOT = Path(__file__).resolve().parents[2]
PORT_BASE = int(os.environ.get("FUZZ_PORT_BASE", "19100"))
ADMIN = "fuzzadmin"
ADMIN_EMAIL = "fuzz-admin@example.com"


def stack_config() -> StackConfig:
    return side_stack(
        "fuzz",
        PORT_BASE,
        {"LOG_LEVEL": "WARNING", "BOOTSTRAP_ADMIN_EMAILS": f'["{ADMIN_EMAIL}"]'},
    )


CONFIG = stack_config()
# The document the gateway serves at /openapi.json, built from the committed contracts (no I/O).
DOCUMENT = create_app(GatewaySettings(environment="test")).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.update(base_url=CONFIG.gateway_url)
schema.config.generation.update(max_examples=MAX_EXAMPLES, **generation_options())


@pytest.fixture(scope="module")
def admin_headers() -> Iterator[dict[str, str]]:
    """The system up, and an admin's token from it."""
    supervisor = Supervisor(CONFIG, out=print)
    supervisor.up()
    try:
        with httpx.Client(base_url=CONFIG.gateway_url, timeout=30) as client:
            created = client.post(
                "/api/auth/register",
                json={"username": ADMIN, "email": ADMIN_EMAIL, "password": PASSWORD},
            )
            assert created.status_code == 201, created.text
            token = client.post("/api/auth/token", data={"username": ADMIN, "password": PASSWORD})
            assert token.status_code == 200, token.text
        yield {"Authorization": f"Bearer {token.json()['access_token']}"}
    finally:
        supervisor.down()


@schema.parametrize()
def test_gateway_api(case: Case, admin_headers: dict[str, str]) -> None:
    call_and_check(case, admin_headers)


def test_gateway_refuses_the_hostile_corpus(admin_headers: dict[str, str]) -> None:
    """The corpus (``hostile.py``) over real HTTP through the gateway: a 4xx each, and the
    valid requests schemathesis sends around it are unaffected."""
    with httpx.Client(base_url=CONFIG.gateway_url, timeout=30) as client:
        wrong = send_corpus(client, DOCUMENT, admin_headers)
    assert wrong == [], "\n".join(wrong)
