"""Run one Inkwell app: logging configured as the process starts, then uvicorn serves the factory.

    python -m inkwell_runtime.serve auth_service.main:create_app --host 0.0.0.0 --port 8001

Logging is the process's, not the app's: it is configured here once, from the settings every
service shares (``LOG_LEVEL``, ``LOG_JSON``), and uvicorn is told to leave it alone, so its own
lines are JSON lines with the request id like every other.

Before anything reads a setting, the process reads ``--env-file`` (default ``$ENV_FILE``, else
``.env`` in the working directory; ``--env-file ''`` reads none) into its environment: the
variables the environment does not set already (``inkwell_runtime.settings.load_env_file``, the
same rule as ``make dev``). Only a served process does this: test suites build settings
without any ``.env``.

SIGTERM drains (``inkwell_runtime.drain``): ``/readyz`` 503 at once, the listener open for
``SHUTDOWN_DRAIN_SECONDS`` more, then in-flight requests finish (``SHUTDOWN_TIMEOUT_SECONDS``).
"""

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from uvicorn.importer import import_from_string

from inkwell_runtime.drain import DrainingServer
from inkwell_runtime.logging import configure_logging
from inkwell_runtime.settings import ServiceSettings, load_env_file


def service_name(factory: str) -> str:
    """``auth_service.main:create_app`` → ``auth``; ``gateway.main:create_app`` → ``gateway``."""
    package = factory.partition(":")[0].partition(".")[0]
    return package.removesuffix("_service")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m inkwell_runtime.serve",
        description="Configure logging from the environment, then serve an app factory.",
    )
    parser.add_argument("factory", help="the app factory, e.g. auth_service.main:create_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--name", help="the service name in log lines (default: from FACTORY)")
    parser.add_argument(
        "--timeout-graceful-shutdown",
        type=int,
        default=None,
        help="how long in-flight requests may finish (default: $SHUTDOWN_TIMEOUT_SECONDS)",
    )
    parser.add_argument(
        "--http",
        default=os.environ.get("UVICORN_HTTP", "auto"),
        help="uvicorn's HTTP protocol class (default: $UVICORN_HTTP, else auto); the gateway "
        "runs gateway.edge:EdgeProtocol, which enforces its header and body limits",
    )
    parser.add_argument(
        "--no-proxy-headers",
        dest="proxy_headers",
        action="store_false",
        help="ignore X-Forwarded-For/-Proto: the client is the TCP peer",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        default=None,
        help="proxies trusted for X-Forwarded-* (default: $FORWARDED_ALLOW_IPS, else 127.0.0.1)",
    )
    parser.add_argument(
        "--env-file",
        default=os.environ.get("ENV_FILE", ".env"),
        help="variables the environment does not set yet (default: $ENV_FILE, else .env in "
        "the working directory; '' reads none)",
    )
    args = parser.parse_args(argv)
    if args.env_file and (added := load_env_file(Path(args.env_file))):
        print(f"{len(added)} setting(s) from {args.env_file}: {', '.join(added)}", file=sys.stderr)
    settings = ServiceSettings()
    configure_logging(
        args.name or service_name(args.factory), settings.log_level, json=settings.log_json
    )
    app = import_from_string(args.factory)()
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        timeout_graceful_shutdown=(
            args.timeout_graceful_shutdown
            if args.timeout_graceful_shutdown is not None
            else settings.shutdown_timeout_seconds
        ),
        http=args.http,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips,
        log_config=None,
    )
    DrainingServer(config, app=app, drain_seconds=settings.shutdown_drain_seconds).run()


if __name__ == "__main__":
    main()
