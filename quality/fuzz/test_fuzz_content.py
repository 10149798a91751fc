"""Fuzz content: every operation, with a valid token, against a real PostgreSQL."""

import uuid

import pytest
from schemathesis import Case

from content_service.core.config import ContentSettings
from content_service.main import create_app
from content_service.models import Base
from inkwell_runtime.jwt import SigningKey
from inkwell_testing.tokens import TestSigner

from .conftest import (
    assert_hostile_corpus_refused,
    call_and_check,
    database_url,
    load_schema,
    reset_tables,
)

SIGNER = TestSigner(SigningKey.generate())
DATABASE_URL = database_url("fuzz_content")
APP = create_app(
    ContentSettings(environment="test", database_url=DATABASE_URL),
    token_verifier=SIGNER.verifier(),
)
schema = load_schema(APP)


@pytest.fixture(scope="module")
def author_headers() -> dict[str, str]:
    reset_tables(DATABASE_URL, Base.metadata)
    return SIGNER.bearer(user_id=uuid.uuid4(), username="fuzzauthor")


@schema.parametrize()
def test_content_api(case: Case, author_headers: dict[str, str]) -> None:
    call_and_check(case, author_headers)


def test_content_refuses_the_hostile_corpus(author_headers: dict[str, str]) -> None:
    """NUL, NaN, Infinity, deep nesting, huge numbers, lone surrogates, invalid UTF-8, wrong
    content types, on every operation: a 4xx each (``hostile.py``)."""
    assert_hostile_corpus_refused(APP, author_headers)
