"""PostgreSQL through SQLAlchemy async + asyncpg (install ``inkwell-runtime[db]``)."""

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from pydantic import SecretStr
from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from inkwell_runtime.errors import ServiceUnavailable
from inkwell_runtime.settings import ServiceSettings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names every service's metadata uses, so migrations name them predictably."""


def with_password(url: str, password: SecretStr | None) -> str:
    """``url`` with ``password`` in it (unchanged when there is none)."""
    if password is None:
        return url
    return (
        make_url(url)
        .set(password=password.get_secret_value())
        .render_as_string(hide_password=False)
    )


class DatabaseSettings(ServiceSettings):
    """A service on PostgreSQL: ``DATABASE_URL``, and its password apart from it.

    ``DATABASE_PASSWORD`` (or ``DATABASE_PASSWORD_FILE``, a mounted secret) fills in the URL's
    password, so the URL itself holds none and can sit in plain configuration.
    """

    database_url: str
    database_password: SecretStr | None = None

    @property
    def database_dsn(self) -> str:
        """What the engine connects with: the URL with the password filled in."""
        return with_password(self.database_url, self.database_password)


Reader = AsyncConnection | AsyncSession
"""What reads run on: ``execute()`` a statement, get rows (a connection; a session in tests)."""


IDLE_PING_SECONDS = 5.0


def make_engine(url: str, *, ping_idle_after: float = IDLE_PING_SECONDS) -> AsyncEngine:
    engine = create_async_engine(url, pool_size=10, max_overflow=10)
    _ping_when_idle(engine, ping_idle_after)
    return engine


def _ping_when_idle(engine: AsyncEngine, seconds: float) -> None:
    """Check a pooled connection before use only when it sat idle ``seconds`` or more.

    ``pool_pre_ping`` checks every checkout, and on asyncpg its check is three round trips
    (BEGIN, a ping, ROLLBACK): more than the query it guards. A connection returned a moment
    ago is alive; one idle for a while may have been cut (a database restart, a proxy's idle
    timeout) and is pinged, then replaced by a fresh one if the ping fails: the request
    never sees it.
    """
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _checked_in(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise sa_exc.DisconnectionError("connection lost while idle") from exc


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def attach_engine(app: FastAPI, engine: AsyncEngine) -> None:
    """Where the session dependencies find the engine: ``app.state``."""
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    # The same pool; requests that only read run each statement on its own (no BEGIN and
    # ROLLBACK around it: two round trips fewer per request).
    app.state.read_engine = engine.execution_options(isolation_level="AUTOCOMMIT")


def database_lifespan(url: str) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that opens the engine on ``app.state`` and disposes of it at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(url)
        attach_engine(app, engine)
        try:
            yield
        finally:
            await engine.dispose()

    return lifespan


DATABASE_UNAVAILABLE = "Database unavailable"


def is_outage(exc: BaseException) -> bool:
    """The database cannot be reached or dropped the connection (not: a bad query)."""
    if isinstance(exc, OSError | sa_exc.OperationalError | sa_exc.InterfaceError):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; tests override this with a rolled-back session.

    An outage met while the request uses the session is answered 503, never 500.
    """
    async with _outage_is_503(request.app.state.sessionmaker()) as session:
        yield session


async def get_reader(request: Request) -> AsyncIterator[Reader]:
    """A connection for a request that only reads, each statement in autocommit: no
    transaction to begin and roll back, no ORM session to set up (reads return rows). Only
    for routes whose reads need no common snapshot (one query, or figures that may each be a
    moment apart). Tests override it with their session (``serving_session``)."""
    async with _outage_is_503(request.app.state.read_engine.connect()) as connection:
        yield connection


@asynccontextmanager
async def _outage_is_503[T: Reader](opened: AbstractAsyncContextManager[T]) -> AsyncIterator[T]:
    """Opening it (a connection is made at once) or using it: an outage is a 503."""
    try:
        async with opened as session:
            yield session
    except Exception as exc:
        if is_outage(exc):
            raise ServiceUnavailable(DATABASE_UNAVAILABLE) from exc
        raise


DbSession = Annotated[AsyncSession, Depends(get_db_session)]
ReadDb = Annotated[Reader, Depends(get_reader)]


async def database_ready(request: Request) -> None:
    async with request.app.state.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
