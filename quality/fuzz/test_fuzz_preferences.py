"""Fuzz preferences: every operation, with a valid token, against a MongoDB-wire server."""

import uuid

from schemathesis import Case

from inkwell_runtime.jwt import SigningKey
from inkwell_testing.tokens import TestSigner
from preferences_service.core.config import PreferencesSettings
from preferences_service.main import create_app

from .conftest import assert_hostile_corpus_refused, call_and_check, load_schema, mongo_server

SIGNER = TestSigner(SigningKey.generate())
HEADERS = SIGNER.bearer(user_id=uuid.uuid4())
APP = create_app(
    PreferencesSettings(
        environment="test", mongo_url=mongo_server(), mongo_database="inkwell_fuzz_preferences"
    ),
    token_verifier=SIGNER.verifier(),
)
schema = load_schema(APP)


@schema.parametrize()
def test_preferences_api(case: Case) -> None:
    call_and_check(case, HEADERS)


def test_preferences_refuses_the_hostile_corpus() -> None:
    """NUL, NaN, Infinity, deep nesting, huge numbers, lone surrogates, invalid UTF-8, wrong
    content types, on every operation: a 4xx each (``hostile.py``)."""
    assert_hostile_corpus_refused(APP, HEADERS)
