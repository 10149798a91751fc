from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from inkwell_runtime import migrate
from inkwell_testing.postgres import suite_database_url

pytestmark = pytest.mark.anyio


async def scratch_database(suffix: str) -> tuple[str, str]:
    """A URL beside the suite's database (``<its name>_<suffix>``, whatever TEST_DATABASE_URL
    names it) and that database's name."""
    url = make_url(await suite_database_url("runtime"))
    name = f"{url.database}_{suffix}"
    return url.set(database=name).render_as_string(hide_password=False), name


async def test_ensure_database_creates_once() -> None:
    url, name = await scratch_database("created")
    admin = create_async_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    try:
        assert await migrate.ensure_database(url) is True
        assert await migrate.ensure_database(url) is False
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        await admin.dispose()


def test_main_usage_errors(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)

    assert migrate.main([]) == 2
    assert migrate.main(["auth_service"]) == 2
    err = capsys.readouterr().err
    assert "usage" in err and "DATABASE_URL is not set" in err


def test_main_fills_in_the_password_from_database_password_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compose's migration containers: the URL holds no password, a mounted secret does."""
    upgraded: list[tuple[str, str]] = []
    monkeypatch.setattr(migrate, "upgrade", lambda package, url: upgraded.append((package, url)))
    (tmp_path / "pw").write_text("s3cret\n")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://postgres@postgres:5432/inkwell_auth")
    monkeypatch.setenv("DATABASE_PASSWORD_FILE", str(tmp_path / "pw"))
    monkeypatch.delenv("DATABASE_PASSWORD", raising=False)

    assert migrate.main(["auth_service"]) == 0

    assert upgraded == [
        ("auth_service", "postgresql+asyncpg://postgres:s3cret@postgres:5432/inkwell_auth")
    ]


def test_alembic_config_escapes_percent_signs() -> None:
    config = migrate.alembic_config("auth_service", "postgresql+asyncpg://u:p%40ss@h/db")

    assert config.get_main_option("sqlalchemy.url") == "postgresql+asyncpg://u:p%40ss@h/db"
    assert config.get_main_option("script_location") == "auth_service:migrations"


async def test_main_creates_the_database_and_upgrades_to_head(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Exercised with auth's migrations, the first service that has some."""
    import anyio

    url, name = await scratch_database("migrated")
    admin = create_async_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    try:
        # migrate.main runs its own event loop (it is a CLI), so run it in a worker thread.
        assert await anyio.to_thread.run_sync(migrate.main, ["auth_service", url]) == 0
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            tables = set(
                (
                    await conn.execute(
                        text("SELECT tablename FROM pg_tables WHERE schemaname='public'")
                    )
                ).scalars()
            )
        await engine.dispose()
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()

    assert {"users", "password_reset_tokens", "alembic_version"} <= tables
    out = capsys.readouterr().out
    assert f"created database {name}" in out
    assert "migrations at head" in out


async def test_wait_returns_once_the_database_is_at_head(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The init container of Kubernetes pods: it fails while the Job has not migrated, then
    passes once it has."""
    import anyio

    url, name = await scratch_database("waited")
    admin = create_async_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    monkeypatch.setenv("MIGRATE_WAIT_SECONDS", "0")
    try:
        # no database yet, then a database with no revision: not at head
        assert await anyio.to_thread.run_sync(migrate.main, ["--wait", "auth_service", url]) == 1
        await migrate.ensure_database(url)
        assert await migrate.at_head("auth_service", url) is False
        assert await anyio.to_thread.run_sync(migrate.main, ["auth_service", url]) == 0
        assert await anyio.to_thread.run_sync(migrate.main, ["--wait", "auth_service", url]) == 0
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()

    captured = capsys.readouterr()
    assert "auth_service: the database is not at head after 0 s" in captured.err
    assert "auth_service: the database is at head" in captured.out
