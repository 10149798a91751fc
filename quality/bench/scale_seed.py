"""``make bench-scale``, step 1: databases of 1k, 100k and 1M posts and users, seeded fast.

Each size has its own pair of databases (``inkwell_scale_<size>_auth``/``_content``), migrated
to head by the services' own Alembic migrations, then filled by one set-based ``INSERT …
SELECT … FROM generate_series`` per table (never the API: a million requests would take hours).
A database that already holds the wanted rows is kept as is, so a second run starts measuring
at once; ``--drop`` removes them all.

Users: ``size`` accounts, one a second from 2020-01-01. Posts: ``size`` posts, one a second,
written by the first tenth of the users in turn (so every author has about ten posts).
"""

import asyncio
import subprocess
import sys
import time
from dataclasses import dataclass

import asyncpg

SERVER = "postgresql://postgres@127.0.0.1:5432"
SIZES = {"1k": 1_000, "100k": 100_000, "1m": 1_000_000}
CONTENT_BYTES = 200

USERS_SQL = """
INSERT INTO users (id, username, email, email_key, hashed_password, roles, created_at)
SELECT md5('user' || g)::uuid, 'member' || g, 'member' || g || '@scale.example',
       'member' || g || '@scale.example',
       'not-a-real-hash', ARRAY['user']::varchar(32)[],
       timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second'
FROM generate_series(0, $1 - 1) AS g
"""

POSTS_SQL = """
INSERT INTO posts (id, title, content, author_id, author_username, date_posted, updated_at)
SELECT md5('post' || g)::uuid, 'Scale post ' || g, left(repeat('lorem ipsum ', 40), $3),
       md5('user' || (g % $2))::uuid, 'member' || (g % $2), s.t, s.t
FROM generate_series(0, $1 - 1) AS g,
     LATERAL (SELECT timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second' AS t) AS s
"""


@dataclass(frozen=True)
class Dataset:
    label: str
    size: int

    @property
    def authors(self) -> int:
        return max(1, self.size // 10)

    def database(self, service: str) -> str:
        return f"inkwell_scale_{self.label}_{service}"

    def dsn(self, service: str) -> str:
        """asyncpg's URL of one of its databases."""
        return f"{SERVER}/{self.database(service)}"

    def url(self, service: str) -> str:
        """The services' SQLAlchemy URL of one of its databases."""
        return self.dsn(service).replace("postgresql://", "postgresql+asyncpg://", 1)

    def author_id(self, n: int) -> str:
        """The id the seed gives user ``n`` (md5 of ``user<n>`` read as a UUID)."""
        import hashlib
        import uuid

        return str(uuid.UUID(hashlib.md5(f"user{n}".encode()).hexdigest()))  # noqa: S324


def migrate(dataset: Dataset) -> None:
    """Create the databases when missing and upgrade them to head (the services' migrations)."""
    for service in ("auth", "content"):
        subprocess.run(  # noqa: S603 - this interpreter, the runtime's own migrate command
            [
                sys.executable,
                "-m",
                "inkwell_runtime.migrate",
                f"{service}_service",
                dataset.url(service),
            ],
            check=True,
            capture_output=True,
        )


async def _fill(dsn: str, table: str, wanted: int, sql: str, *args: int) -> float | None:
    """Seconds spent filling ``table``; None when it already held ``wanted`` rows."""
    conn = await asyncpg.connect(dsn)
    try:
        held = await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608 - our table names
        if held >= wanted:
            return None
        began = time.monotonic()
        await conn.execute("SET synchronous_commit = off")
        await conn.execute("SET maintenance_work_mem = '256MB'")
        async with conn.transaction():
            await conn.execute(f"TRUNCATE {table} CASCADE")
            await conn.execute(sql, *args)
        await conn.execute(f"VACUUM (ANALYZE) {table}")
        return time.monotonic() - began
    finally:
        await conn.close()


async def seed(dataset: Dataset) -> dict[str, float | None]:
    """Fill both databases (when not already filled); seconds per table."""
    users, posts = await asyncio.gather(
        _fill(dataset.dsn("auth"), "users", dataset.size, USERS_SQL, dataset.size),
        _fill(
            dataset.dsn("content"),
            "posts",
            dataset.size,
            POSTS_SQL,
            dataset.size,
            dataset.authors,
            CONTENT_BYTES,
        ),
    )
    return {"users_seconds": users, "posts_seconds": posts}


async def drop(datasets: list[Dataset]) -> None:
    conn = await asyncpg.connect(f"{SERVER}/postgres")
    try:
        for dataset in datasets:
            for service in ("auth", "content"):
                await conn.execute(f'DROP DATABASE IF EXISTS "{dataset.database(service)}"')
    finally:
        await conn.close()


def prepare(dataset: Dataset) -> dict[str, float | None]:
    migrate(dataset)
    return asyncio.run(seed(dataset))
