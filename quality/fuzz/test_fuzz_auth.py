"""Fuzz auth: every operation, as an admin with a valid token, against a real PostgreSQL."""

import asyncio
import uuid

import pytest
from schemathesis import Case

from auth_service.core.config import AuthSettings
from auth_service.main import create_app
from auth_service.models import Base, User
from inkwell_runtime.db import make_engine, make_sessionmaker
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
ADMIN_ID = uuid.uuid4()
DATABASE_URL = database_url("fuzz_auth")
SETTINGS = AuthSettings(
    environment="test", database_url=DATABASE_URL, argon2_time_cost=1, argon2_memory_kib=1024
)
APP = create_app(SETTINGS, signing_key=SIGNER.key)
schema = load_schema(APP)


async def _add_admin() -> None:
    """A real account behind the token, so ``/api/users/me`` answers 200, not only 401."""
    engine = make_engine(DATABASE_URL)
    try:
        async with make_sessionmaker(engine)() as session:
            session.add(
                User(
                    id=ADMIN_ID,
                    username="fuzzadmin",
                    email="fuzz-admin@example.com",
                    hashed_password=await APP.state.password_hash.hash("fuzz password"),
                    roles=["user", "admin"],
                )
            )
            await session.commit()
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def admin_headers() -> dict[str, str]:
    reset_tables(DATABASE_URL, Base.metadata)
    asyncio.run(_add_admin())
    return SIGNER.bearer(user_id=ADMIN_ID, username="fuzzadmin", roles=["user", "admin"])


@schema.parametrize()
def test_auth_api(case: Case, admin_headers: dict[str, str]) -> None:
    call_and_check(case, admin_headers)


def test_auth_refuses_the_hostile_corpus(admin_headers: dict[str, str]) -> None:
    """NUL, NaN, Infinity, deep nesting, huge numbers, lone surrogates, invalid UTF-8, wrong
    content types, on every operation: a 4xx each (``hostile.py``)."""
    assert_hostile_corpus_refused(APP, admin_headers)
