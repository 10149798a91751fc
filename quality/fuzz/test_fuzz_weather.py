"""Fuzz weather: every operation, with a valid token. The provider is the e2e suite's
wttr.in-compatible stub (in process); preferences answer a saved city."""

import os
import uuid

import httpx
from schemathesis import Case
from schemathesis.specs.openapi.checks import positive_data_acceptance

from inkwell_devstack.stubs.weather import create_app as create_stub
from inkwell_runtime.jwt import SigningKey
from inkwell_testing.tokens import TestSigner
from weather_service.core.config import WeatherSettings
from weather_service.main import create_app

from .conftest import CHECKS, assert_hostile_corpus_refused, call_and_check, load_schema

# Read by the stub's create_app: its slow and trickling cities stay quick to fuzz.
os.environ.setdefault("WEATHER_STUB_SLOW_SECONDS", "0.5")
os.environ.setdefault("WEATHER_STUB_TRICKLE_SECONDS", "0.01")

SAVED = {"city": "Paris", "units": "metric", "updated_at": "2026-01-01T00:00:00Z"}


def preferences(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=SAVED)


SIGNER = TestSigner(SigningKey.generate())
HEADERS = SIGNER.bearer(user_id=uuid.uuid4())
APP = create_app(
    WeatherSettings(environment="test", weather_timeout_seconds=0.25),
    token_verifier=SIGNER.verifier(),
    weather_client=httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_stub()), base_url="http://provider.test"
    ),
    preferences_client=httpx.AsyncClient(
        transport=httpx.MockTransport(preferences), base_url="http://preferences.test"
    ),
)
schema = load_schema(APP)


@schema.parametrize()
def test_weather_api(case: Case) -> None:
    """Besides the checks of every suite: a city generated from the schema's ``pattern`` is
    never refused (the schema states the whole rule the service enforces)."""
    call_and_check(case, HEADERS, [*CHECKS, positive_data_acceptance])


def test_weather_refuses_the_hostile_corpus() -> None:
    """NUL, NaN, Infinity, deep nesting, huge numbers, lone surrogates, invalid UTF-8, wrong
    content types, on every operation: a 4xx each (``hostile.py``)."""
    assert_hostile_corpus_refused(APP, HEADERS)
