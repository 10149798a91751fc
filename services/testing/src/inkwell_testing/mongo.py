"""A MongoDB-wire-compatible server for tests and local runs, where no MongoDB can be installed.

mongoeco (dev dependency ``mongoeco[wire]``) speaks MongoDB's wire protocol, so the real PyMongo
driver talks to it over TCP exactly as it would to ``mongod``. In a test::

    async with mongo_wire_server(None) as uri:        # in memory, on a free port
        client = AsyncMongoClient(uri)

As a process (the local dev runner), data kept in an SQLite file under ``DIR``::

    python -m inkwell_testing.mongo --port 27017 --data-dir DIR

It prints one ``ready: <uri>`` line once it accepts connections and serves until SIGINT/SIGTERM.
What mongoeco does not model (``buildinfo``, replication, ...) is listed in the preferences
service's README; the e2e suite runs against a real MongoDB.
"""

import argparse
import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DATA_FILE = "mongoeco.sqlite3"


@asynccontextmanager
async def mongo_wire_server(
    path: str | None = None, host: str = DEFAULT_HOST, port: int = 0
) -> AsyncIterator[str]:
    """Serve on ``host:port`` (0: a free port) and yield the URI to connect to.

    ``path`` is an SQLite file (data survives restarts); ``None`` keeps everything in memory.
    """
    # Imported here: mongoeco takes seconds to import, and suites on a real MongoDB never need it.
    from mongoeco.engines import MemoryEngine, SQLiteEngine
    from mongoeco.wire import AsyncMongoEcoProxyServer

    engine = SQLiteEngine(path) if path is not None else MemoryEngine()
    async with AsyncMongoEcoProxyServer(engine=engine, host=host, port=port) as server:
        yield server.address.uri


async def serve(path: str | None, host: str, port: int, stop: asyncio.Event | None = None) -> None:
    """Serve until ``stop`` is set (by default: until SIGINT or SIGTERM)."""
    async with mongo_wire_server(path, host, port) as uri:
        if stop is None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
        where = path or "memory"
        print(f"ready: {uri} (mongoeco wire server, data: {where})", flush=True)
        await stop.wait()
    print("stopped", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inkwell_testing.mongo",
        description="Run a mongoeco MongoDB-wire-compatible server (for local runs and tests).",
    )
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=27017, help="0 picks a free port")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"keep data in DIR/{DATA_FILE} (created if missing); without it, in memory",
    )
    args = parser.parse_args(argv)
    path: str | None = None
    if args.data_dir is not None:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        path = str(args.data_dir / DATA_FILE)
    try:
        asyncio.run(serve(path, args.host, args.port))
    except OSError as exc:  # e.g. the port is taken
        print(f"cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
