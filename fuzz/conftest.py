"""Fuzzing every service's OpenAPI with schemathesis, in process, against real stores.

schemathesis runs each app in its own event-loop thread (its ASGI transport starts the app's
lifespan once), so the apps open their own database engines there. The fuzz suites therefore
use committed databases of their own (``inkwell_test_fuzz_<service>``), emptied at the start
of a run, never the rollback fixture of the in-process suites.

The schemas are loaded when the test modules are imported (schemathesis' lazy
``from_fixture`` loader does not support pytest 9 yet); building an app does no I/O, and the
stores are prepared by fixtures before the first request.

``FUZZ_MAX_EXAMPLES`` bounds the examples per operation (CI keeps it small);
``FUZZ_DETERMINISTIC=1`` makes a run repeatable.
"""

import asyncio
import os
from typing import Any

import schemathesis
from schemathesis import Case
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from inkwell_runtime.testing.postgres import suite_database_url

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    negative_data_rejection,
]
"""No 5xx; every response matches its documented schema, status code and media type; input
that breaks the schema is refused with a 4xx."""


def database_url(suite: str) -> str:
    """This fuzz suite's own database on the test server (created when missing)."""
    return asyncio.run(suite_database_url(suite))


def reset_tables(url: str, metadata: MetaData) -> None:
    """Drop and re-create the service's tables: every run starts from empty stores."""

    async def reset() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(metadata.drop_all)
                await conn.run_sync(metadata.create_all)
        finally:
            await engine.dispose()

    asyncio.run(reset())


def load_schema(app: Any) -> schemathesis.BaseSchema:
    """The app's live OpenAPI, with bounded generation of valid and invalid examples."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.generation.update(
        max_examples=MAX_EXAMPLES,
        database="none",
        deterministic=os.environ.get("FUZZ_DETERMINISTIC") == "1",
    )
    return schema


def call_and_check(case: Case, headers: dict[str, str] | None = None) -> None:
    case.call_and_validate(headers=headers, checks=CHECKS)
