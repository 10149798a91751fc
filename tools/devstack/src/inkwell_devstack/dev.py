"""``make dev``: the whole of Inkwell as local processes, until Ctrl-C.

    python -m inkwell_devstack.dev [--weather-stub] [--redis] [--cognito] [--fresh]

Starts PostgreSQL's databases (migrated), an S3 endpoint, a Mongo endpoint, the five services
and the gateway; waits for every ``/readyz``; prints a table; then watches the children until
SIGINT or SIGTERM, when it stops every one of them. Settings come from the environment: the
services' own (``DATABASE_URL``, ``WEATHER_API_URL``, ``MONGO_URL``, ``AWS_ENDPOINT_URL_S3``,
``LOGIN_RATE_LIMIT``, ...) and the runner's (``INKWELL_PORT_BASE``, ``INKWELL_<NAME>_PORT``,
``INKWELL_DATA_DIR``, ``INKWELL_RUN_DIR``, ``INKWELL_S3``, ``INKWELL_WEATHER_STUB``,
``INKWELL_REDIS``, ``INKWELL_START_TIMEOUT``); docs/running-locally.md lists them. A ``.env`` at the
repository's root (copy ``.env.example``) adds the variables the shell does not set.
"""

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from inkwell_devstack.config import ConfigError, StackConfig, find_root
from inkwell_devstack.errors import Interrupted, StackError
from inkwell_devstack.processes import log_tail
from inkwell_devstack.report import format_table
from inkwell_devstack.stack import Supervisor
from inkwell_runtime.settings import load_env_file

WATCH_SECONDS = 0.5


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m inkwell_devstack.dev",
        description="Run the whole Inkwell system as local processes (no Docker needed).",
    )
    parser.add_argument(
        "--weather-stub",
        action="store_true",
        default=None,
        help="run the wttr.in-compatible stub and point the weather service at it "
        "(for machines without internet; env INKWELL_WEATHER_STUB=1)",
    )
    parser.add_argument(
        "--redis",
        action="store_true",
        default=None,
        help="run a throwaway redis-server (Debian's package) and share the gateway's login "
        "limit through it, as several gateways would (env INKWELL_REDIS=1)",
    )
    parser.add_argument(
        "--cognito",
        action="store_true",
        default=None,
        help="keep users in Amazon Cognito: moto's Cognito (a pool created at start) behind "
        "auth, every service verifying its tokens (env INKWELL_COGNITO=1)",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="start empty: drop the auth and content databases and the Mongo data first",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    env_file = find_root() / ".env"
    if added := load_env_file(env_file):
        print(f"inkwell dev: {len(added)} setting(s) from {env_file}: {', '.join(added)}")
    try:
        config = StackConfig.from_env(
            profile="dev",
            weather_stub=args.weather_stub,
            reset=args.fresh,
            redis=args.redis,
            cognito=args.cognito,
        )
    except ConfigError as exc:
        print(f"inkwell dev: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    supervisor = Supervisor(config, out=lambda line: print(line, flush=True), interrupted=stop)
    try:
        supervisor.up()
        print(flush=True)
        print(format_table(supervisor.table()), flush=True)
        print(
            f"\nLogs: {config.log_dir}/<name>.log. Ctrl-C stops everything.",
            flush=True,
        )
        while not stop.wait(WATCH_SECONDS):
            for child in supervisor.exited():
                code = child.proc.returncode if child.proc else None
                print(
                    f"inkwell dev: {child.name} exited (code {code}); the others keep running. "
                    f"Last lines of {child.log}:\n{log_tail(child.log)}",
                    file=sys.stderr,
                    flush=True,
                )
    except Interrupted:
        pass
    except StackError as exc:
        print(f"inkwell dev: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        # A second Ctrl-C must not cut the teardown short and leave children behind.
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        if stop.is_set() or any(c.running for c in supervisor.children.values()):
            print("\ninkwell dev: stopping ...", flush=True)
            supervisor.down()
            print("inkwell dev: stopped", flush=True)
        else:
            supervisor.down()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
