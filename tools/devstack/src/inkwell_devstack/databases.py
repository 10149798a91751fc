"""The services' PostgreSQL databases: checked, dropped on request, migrated to head."""

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from inkwell_devstack.config import StackConfig
from inkwell_devstack.errors import ComponentFailed, StackError
from inkwell_devstack.processes import die_with_parent, kill_group, log_tail, run_coroutine, shown

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

PG_START_HINT = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
POLL_SECONDS = 0.1


def migrate_databases(
    cfg: StackConfig, wanted: list[str], out: Callable[[str], None], sleep: Callable[[float], None]
) -> None:
    """Check the server, drop the databases when the stack starts fresh, and migrate each
    wanted service's database to head, all at once (``sleep`` may raise to interrupt)."""
    if not wanted:
        return
    began = time.monotonic()
    server = cfg.postgres_server
    url = parse_url(server)
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    error = run_coroutine(postgres_error(server))
    if error is not None:
        raise StackError(
            f"PostgreSQL is not reachable at {where} ({error}).\n"
            f"  Start it: {PG_START_HINT}\n"
            "  or point DATABASE_URL at a running server (its databases are created for you)."
        )
    names = [parse_url(cfg.database_urls[n]).database or "" for n in wanted]
    if cfg.reset:
        run_coroutine(drop_databases(server, names))
    procs = {}
    for name in wanted:
        log = cfg.log_dir / f"migrate-{name}.log"
        with log.open("w") as handle:
            procs[name] = (
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "inkwell_runtime.migrate",
                        cfg.registry[name].module,
                        cfg.database_urls[name],
                    ],
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                    preexec_fn=die_with_parent(),
                ),
                log,
            )
    try:
        for name, (proc, log) in procs.items():
            while proc.poll() is None:
                sleep(POLL_SECONDS)
            if proc.returncode != 0:
                raise ComponentFailed(
                    f"migrations of {name} failed (exit {proc.returncode}); "
                    f"{shown(log, cfg.root)}:\n{log_tail(log)}"
                )
    finally:
        for proc, _ in procs.values():
            if proc.poll() is None:
                kill_group(proc, signal.SIGKILL)
                proc.wait()
    took = time.monotonic() - began
    out(f"  ✓ {'postgres':<13} {where:<40} {', '.join(names)} migrated to head ({took:.1f}s)")


def parse_url(url: str) -> "URL":
    from sqlalchemy.engine import make_url

    return make_url(url)


async def postgres_error(server: str) -> str | None:
    """Why the server cannot be used (``None``: it answers)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(server, connect_args={"timeout": 5})
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    finally:
        await engine.dispose()
    return None


async def drop_databases(server: str, names: list[str]) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for name in names:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()
