"""`alembic upgrade head` on an empty database gives exactly the schema the models describe."""

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from auth_service.models import Base
from inkwell_testing.migrations import assert_migrations_match

pytestmark = pytest.mark.anyio


async def test_upgrade_head_matches_the_models_and_downgrade_removes_them(
    engine: AsyncEngine,
) -> None:
    await assert_migrations_match("auth_service", Base.metadata, engine)
