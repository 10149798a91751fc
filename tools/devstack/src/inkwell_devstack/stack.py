"""The supervisor behind ``make dev`` and the e2e suite's local stack.

It runs every part of Inkwell as a local process, each in a process group of its own:

1. PostgreSQL is not started, only checked (it is a system service); the services' databases are
   created when missing and migrated to head.
2. The stand-ins: an S3 endpoint (moto's server, or LocalStack when installed), a Mongo endpoint
   (the mongoeco wire server over an SQLite file) and, on request, the weather stub.
3. The five services and the gateway under uvicorn, each waited for on its ``/readyz``.

``down()`` stops them in reverse order (SIGTERM to the whole group, then SIGKILL after a grace
period); children also get SIGTERM if the supervisor dies without cleaning up (Linux
``PR_SET_PDEATHSIG``), so nothing is left behind. One lock file under the run folder says a stack
is already running. Every failure a user can cause or fix (a port taken, PostgreSQL down, a
child that crashes at start) is a :class:`StackError` with a readable message and, for a child,
the tail of its log.

Heavy modules (SQLAlchemy, PyMongo, cryptography) are imported where used, so a start that
cannot happen (already running, a port taken) is reported in well under a second.
"""

import asyncio
import concurrent.futures
import contextlib
import ctypes
import errno
import fcntl
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from inkwell_devstack.config import (
    DATABASE_SERVICES,
    GATEWAY_FACTORY,
    SERVICES,
    TEST_AWS,
    StackConfig,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

WEATHER_STUB_FACTORY = "inkwell_devstack.stubs.weather:create_app"
GRACE_SECONDS = 10.0
POLL_SECONDS = 0.1
LOG_TAIL_LINES = 25
PG_START_HINT = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"

Out = Callable[[str], None]


class StackError(Exception):
    """Something the user can fix; printed as is, without a traceback."""


class AlreadyRunning(StackError):
    pass


class PortsInUse(StackError):
    pass


class ComponentFailed(StackError):
    pass


class Interrupted(Exception):
    """SIGINT/SIGTERM arrived while the stack was starting or running."""


# -- probes ------------------------------------------------------------------------------------
Probe = Callable[[httpx.Client], bool]


def http_probe(url: str) -> Probe:
    """Ready when ``url`` answers 200."""

    def probe(client: httpx.Client) -> bool:
        try:
            return client.get(url).status_code == 200
        except httpx.HTTPError:
            return False

    return probe


def mongo_probe(uri: str) -> Probe:
    """Ready when the server answers ``ping`` (mongoeco has no ``buildinfo``)."""

    def probe(_: httpx.Client) -> bool:
        from pymongo import MongoClient

        client: MongoClient[dict[str, Any]] = MongoClient(
            uri, serverSelectionTimeoutMS=500, connectTimeoutMS=500
        )
        try:
            client.admin.command("ping")
        except Exception:
            return False
        finally:
            client.close()
        return True

    return probe


# -- children ----------------------------------------------------------------------------------
@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    address: str
    """Where users reach it (shown in the table)."""
    what: str
    """What it is (shown in progress lines)."""
    probe: Probe
    port: int | None
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    stopped_on_purpose: bool = False
    reported_exit: bool = False

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to SIGTERM the child when its parent thread dies."""
    if not sys.platform.startswith("linux"):
        return None  # pragma: no cover
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1

    def preexec() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)

    return preexec


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        content = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no log)"
    return "\n".join("    | " + line for line in content[-lines:]) or "    | (empty log)"


def module_available(factory: str) -> bool:
    module = factory.partition(":")[0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def ports_in_use(children: Iterable[Child], host: str) -> list[Child]:
    """Children whose port cannot be bound (uvicorn binds with SO_REUSEADDR too)."""
    taken = []
    for child in children:
        if child.port is None:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, child.port))
            except OSError:
                taken.append(child)
    return taken


def proxy_header_args(name: str, env: dict[str, str]) -> list[str]:
    """Whom the gateway believes about the client's address (``X-Forwarded-For``): only the
    proxies listed in ``FORWARDED_ALLOW_IPS``; none by default. (uvicorn's own default trusts
    127.0.0.1, so every local client could pick its rate-limit identity.) The services keep
    uvicorn's default: their only local caller is the gateway."""
    if name != "gateway":
        return []
    trusted = env.get("FORWARDED_ALLOW_IPS", "").strip()
    return ["--forwarded-allow-ips", trusted] if trusted else ["--no-proxy-headers"]


def dev_signing_key(path: Path) -> str:
    """The stack's RSA key (made once), so tokens stay valid across restarts of auth."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    return path.read_text()


def run_coroutine(coro: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run`` in a thread of its own: safe even when the caller has a running loop."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


# -- the lock ----------------------------------------------------------------------------------
class RunLock:
    """An exclusive ``flock`` on ``<run dir>/stack.lock``, held for the stack's lifetime.

    The kernel drops it when the process dies, however it dies, so it never goes stale.
    """

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, path: Path, info: dict[str, Any]) -> "RunLock":
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            holder = cls.holder(fd)
            os.close(fd)
            raise AlreadyRunning(describe_holder(holder, path)) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info).encode())
        return cls(path, fd)

    @staticmethod
    def holder(fd: int) -> dict[str, Any]:
        os.lseek(fd, 0, os.SEEK_SET)
        raw = os.read(fd, 65536)
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def describe_holder(holder: dict[str, Any], path: Path) -> str:
    pid = holder.get("pid", "?")
    gateway = holder.get("gateway", "?")
    return (
        f"an Inkwell stack is already running from this folder (pid {pid}, gateway {gateway}).\n"
        f"  Stop it with Ctrl-C in its terminal (or `kill {pid}`), or run a second one on other "
        "ports: INKWELL_PORT_BASE=9000 make dev.\n"
        f"  (lock: {path})"
    )


# -- the supervisor ----------------------------------------------------------------------------
@dataclass
class Row:
    name: str
    url: str
    status: str


@dataclass
class Supervisor:
    config: StackConfig
    out: Out = print
    interrupted: threading.Event = field(default_factory=threading.Event)
    children: dict[str, Child] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    """Components not started, with the reason (shown in the table)."""
    _lock: RunLock | None = None
    _http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=2.0))

    # ---------------------------------------------------------------- plan
    @property
    def service_names(self) -> list[str]:
        return [name for name in SERVICES if name in self.children]

    def plan(self) -> None:
        """Decide every child's command line and environment (nothing starts yet)."""
        cfg = self.config
        self.children.clear()
        self.skipped.clear()
        if cfg.s3 == "moto":
            self._add(
                "s3",
                [sys.executable, "-m", "moto.server", "-H", cfg.host, "-p", str(cfg.ports["s3"])],
                dict(os.environ),
                address=cfg.url("s3"),
                what="moto server (S3)",
                probe=http_probe(f"{cfg.url('s3')}/moto-api/"),
            )
        elif cfg.s3 == "localstack":
            self._add_localstack()
        else:
            self.skipped["s3"] = f"external: {cfg.s3_endpoint}"
        if cfg.mongo_url_override is None:
            self._add(
                "mongo",
                [
                    sys.executable,
                    "-m",
                    "inkwell_runtime.testing.mongo",
                    "--host",
                    cfg.host,
                    "--port",
                    str(cfg.ports["mongo"]),
                    "--data-dir",
                    str(cfg.mongo_data_dir),
                ],
                dict(os.environ),
                address=f"mongodb://{cfg.host}:{cfg.ports['mongo']}",
                what=f"mongoeco wire server (data: {_shown(cfg.mongo_data_dir, cfg.root)})",
                probe=mongo_probe(cfg.mongo_url),
            )
        else:
            self.skipped["mongo"] = f"external: {cfg.mongo_url}"
        self._add(
            "mail",
            [
                sys.executable,
                "-m",
                "inkwell_devstack.mailcatcher",
                "--host",
                cfg.host,
                "--smtp-port",
                str(cfg.ports["smtp"]),
                "--http-port",
                str(cfg.ports["mail"]),
                "--data-dir",
                str(cfg.mail_dir),
            ],
            dict(os.environ),
            address=cfg.url("mail"),
            what=(
                f"SMTP capture on {cfg.host}:{cfg.ports['smtp']} "
                f"(mail: {_shown(cfg.mail_dir, cfg.root)}, one .eml per message)"
            ),
            probe=http_probe(f"{cfg.url('mail')}/healthz"),
        )
        if cfg.weather_stub:
            stub_env = {**os.environ, **cfg.service_env}
            self._add_uvicorn("weather-stub", WEATHER_STUB_FACTORY, stub_env, "/healthz")
        for name, factory in SERVICES.items():
            if module_available(factory):
                self._add_uvicorn(name, factory, self.service_env(name), "/readyz")
            else:
                self.skipped[name] = f"not installed ({factory.partition('.')[0]} missing)"
        if module_available(GATEWAY_FACTORY):
            # With a service missing the gateway's /readyz stays 503: wait for /healthz then.
            path = "/healthz" if any(n in self.skipped for n in SERVICES) else "/readyz"
            self._add_uvicorn("gateway", GATEWAY_FACTORY, self.service_env("gateway"), path)
        else:
            self.skipped["gateway"] = "not installed (gateway missing)"

    def _add(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        *,
        address: str,
        what: str,
        probe: Probe,
    ) -> None:
        self.children[name] = Child(
            name=name,
            argv=argv,
            env=env,
            address=address,
            what=what,
            probe=probe,
            port=self.config.ports.get(name),
            log=self.config.log_dir / f"{name}.log",
        )

    def _add_uvicorn(self, name: str, factory: str, env: dict[str, str], ready_path: str) -> None:
        cfg = self.config
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            factory,
            "--host",
            cfg.host,
            "--port",
            str(cfg.ports[name]),
            "--timeout-graceful-shutdown",
            "5",
            *proxy_header_args(name, env),
        ]
        url = cfg.url(name)
        self._add(
            name,
            argv,
            env,
            address=url,
            what=f"uvicorn {factory}",
            probe=http_probe(url + ready_path),
        )

    def _add_localstack(self) -> None:
        cfg = self.config
        if not module_available("localstack.runtime.main:"):
            raise StackError(
                "INKWELL_S3=localstack but LocalStack is not installed in this environment.\n"
                '  Install it (Python 3.13): uv pip install "localstack-core[base-runtime]" '
                '"cbor2<6" "pyopenssl<25" service-identity — or leave INKWELL_S3 unset for moto.'
            )
        root = cfg.data_dir / "localstack"
        env = {
            **os.environ,
            "GATEWAY_LISTEN": f"{cfg.host}:{cfg.ports['s3']}",
            "SERVICES": "s3",
            "EAGER_SERVICE_LOADING": "1",
            "PERSISTENCE": "0",
            "OVERRIDE_IN_DOCKER": "0",
            "GATEWAY_SERVER": "hypercorn",
            "DNS_ADDRESS": "0",
            "FILESYSTEM_ROOT": str(root),
            "TMPDIR": str(root / "tmp"),
        }
        self._add(
            "s3",
            [sys.executable, "-m", "localstack.runtime.main"],
            env,
            address=cfg.url("s3"),
            what="LocalStack (S3)",
            probe=http_probe(f"{cfg.url('s3')}/_localstack/health"),
        )

    def service_env(self, name: str) -> dict[str, str]:
        """The caller's environment plus what wires this service to the others."""
        cfg = self.config
        env = dict(os.environ)
        env["AUTH_JWKS_URL"] = f"{cfg.url('auth')}/api/auth/jwks.json"
        env["AUTH_REVOCATIONS_URL"] = f"{cfg.url('auth')}/internal/revocations"
        if name in cfg.database_urls:
            env["DATABASE_URL"] = cfg.database_urls[name]
        if name == "auth":
            # Mail goes to the capture server; reset links point at this stack's gateway.
            env["EMAIL_BACKEND"] = "smtp"
            env["SMTP_HOST"] = cfg.host
            env["SMTP_PORT"] = str(cfg.ports["smtp"])
            env.setdefault("PUBLIC_BASE_URL", cfg.gateway_url)
            # Where a deleted account's data is erased (the erasure outbox).
            for service in ("content", "preferences", "media"):
                env[f"{service.upper()}_URL"] = cfg.url(service)
        if name == "preferences":
            env["MONGO_URL"] = cfg.mongo_url
        if name == "media":
            env["AWS_ENDPOINT_URL_S3"] = cfg.s3_endpoint
            if cfg.s3 != "external":
                env.update(TEST_AWS)
        if name == "weather":
            env["PREFERENCES_URL"] = cfg.url("preferences")
            if cfg.weather_stub:
                env["WEATHER_API_URL"] = cfg.url("weather-stub")
            elif cfg.weather_api_url:
                env["WEATHER_API_URL"] = cfg.weather_api_url
        if name == "gateway":
            for service in SERVICES:
                env[f"{service.upper()}_URL"] = cfg.url(service)
        env.update(cfg.service_env)
        return env

    # ---------------------------------------------------------------- up
    def up(self) -> None:
        """Start everything, in order, and return once every part is ready."""
        cfg = self.config
        began = time.monotonic()
        self._lock = RunLock.acquire(
            cfg.run_dir / "stack.lock", {"pid": os.getpid(), "gateway": cfg.gateway_url}
        )
        try:
            self.plan()
            taken = ports_in_use(self.children.values(), cfg.host)
            if taken:
                raise PortsInUse(self._ports_message(taken))
            self._prepare_folders()
            self.out(
                f"inkwell {cfg.profile}: starting "
                f"(data {_shown(cfg.data_dir, cfg.root)}, logs {_shown(cfg.log_dir, cfg.root)})"
            )
            for name, reason in self.skipped.items():
                self.out(f"  - {name:<13} skipped: {reason}")
            # The stand-ins boot while the migrations run; both are done before any service.
            backing: list[str] = [
                n for n in ("s3", "mongo", "mail", "weather-stub") if n in self.children
            ]
            for name in backing:
                self.start(name)
            self._postgres()
            self.wait_ready(backing)
            self._start_and_wait(self.service_names, also_start=["gateway"])
            if "gateway" in self.children:
                self.wait_ready(["gateway"])
            self.out(f"inkwell {cfg.profile}: ready in {time.monotonic() - began:.1f}s")
        except BaseException:
            self.down()
            raise

    def _prepare_folders(self) -> None:
        cfg = self.config
        cfg.log_dir.mkdir(parents=True, exist_ok=True)
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        for folder in (cfg.mongo_data_dir, cfg.mail_dir):
            if cfg.reset and folder.exists():
                shutil.rmtree(folder)
        for child in self.children.values():
            child.log.write_text("")
        auth = self.children.get("auth")
        if auth is not None and "JWT_PRIVATE_KEY" not in auth.env:
            # One key per data folder, not per process: tokens outlive a restart of auth.
            auth.env["JWT_PRIVATE_KEY"] = dev_signing_key(cfg.jwt_key_file)

    def _ports_message(self, taken: list[Child]) -> str:
        lines = [f"port {c.port} ({c.name}) on {self.config.host} is already in use" for c in taken]
        if self.config.profile == "e2e":
            hint = "free it, or give the e2e stack other ports: E2E_PORT_BASE=28000 make e2e"
        else:
            var = f"INKWELL_{taken[0].name.upper().replace('-', '_')}_PORT"
            hint = (
                "free it (is another Inkwell or a local MongoDB/LocalStack running?), or move "
                f"Inkwell: INKWELL_PORT_BASE=9000 make dev (or {var}=...)"
            )
        return "cannot start:\n  " + "\n  ".join(lines) + f"\n  {hint}"

    def _start_and_wait(self, names: list[str], also_start: Iterable[str] = ()) -> None:
        for name in [*names, *also_start]:
            if name in self.children:
                self.start(name)
        self.wait_ready(names)

    # ---------------------------------------------------------------- postgres
    def _postgres(self) -> None:
        cfg = self.config
        wanted = [n for n in DATABASE_SERVICES if n in self.children]
        if not wanted:
            return
        began = time.monotonic()
        server = cfg.postgres_server
        url = _url(server)
        where = f"{url.host or 'localhost'}:{url.port or 5432}"
        error = run_coroutine(_postgres_error(server))
        if error is not None:
            raise StackError(
                f"PostgreSQL is not reachable at {where} ({error}).\n"
                f"  Start it: {PG_START_HINT}\n"
                "  or point DATABASE_URL at a running server (its databases are created for you)."
            )
        names = [_url(cfg.database_urls[n]).database or "" for n in wanted]
        if cfg.reset:
            run_coroutine(_drop_databases(server, names))
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
                            f"{name}_service",
                            cfg.database_urls[name],
                        ],
                        stdout=handle,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        start_new_session=True,
                        preexec_fn=_die_with_parent(),
                    ),
                    log,
                )
        try:
            for name, (proc, log) in procs.items():
                while proc.poll() is None:
                    self._sleep(POLL_SECONDS)
                if proc.returncode != 0:
                    raise ComponentFailed(
                        f"migrations of {name} failed (exit {proc.returncode}); "
                        f"{_shown(log, cfg.root)}:\n{log_tail(log)}"
                    )
        finally:
            for proc, _ in procs.values():
                if proc.poll() is None:
                    _kill_group(proc, signal.SIGKILL)
                    proc.wait()
        took = time.monotonic() - began
        self.out(
            f"  ✓ {'postgres':<13} {where:<40} {', '.join(names)} migrated to head ({took:.1f}s)"
        )

    # ---------------------------------------------------------------- children
    def start(self, name: str) -> None:
        """Start one child (no wait); its output goes to its log file."""
        child = self.children[name]
        if child.running:
            return
        child.log.parent.mkdir(parents=True, exist_ok=True)
        with child.log.open("a") as handle:
            handle.write(f"--- {time.strftime('%H:%M:%S')} starting: {' '.join(child.argv)}\n")
            handle.flush()
            child.proc = subprocess.Popen(
                child.argv,
                env=child.env,
                cwd=self.config.root,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent(),
            )
        child.started_at = time.monotonic()
        child.stopped_on_purpose = False
        child.reported_exit = False

    def wait_ready(self, names: Iterable[str]) -> None:
        """Poll each child's probe until all are ready; fail fast when one exits."""
        pending = [self.children[n] for n in names if n in self.children]
        deadline = time.monotonic() + self.config.start_timeout
        while pending:
            for child in list(pending):
                if child.proc is None or child.proc.poll() is not None:
                    code = None if child.proc is None else child.proc.returncode
                    raise ComponentFailed(
                        f"{child.name} exited (code {code}) before it was ready; "
                        f"{_shown(child.log, self.config.root)}:\n{log_tail(child.log)}"
                    )
                if child.probe(self._http):
                    took = time.monotonic() - child.started_at
                    self.out(f"  ✓ {child.name:<13} {child.address:<40} {child.what} ({took:.1f}s)")
                    pending.remove(child)
            if pending and time.monotonic() > deadline:
                child = pending[0]
                raise ComponentFailed(
                    f"{child.name} was not ready within {self.config.start_timeout:.0f}s; "
                    f"{_shown(child.log, self.config.root)}:\n{log_tail(child.log)}"
                )
            if pending:
                self._sleep(POLL_SECONDS)

    def stop(self, name: str) -> None:
        """Stop one child on purpose (the e2e suite's outage test)."""
        child = self.children[name]
        child.stopped_on_purpose = True
        _terminate([child])

    def restart(self, name: str) -> None:
        """Start a stopped child again and wait until it is ready."""
        self.start(name)
        self.wait_ready([name])

    def exited(self) -> list[Child]:
        """Children that died on their own since the last call (each reported once)."""
        dead = []
        for child in self.children.values():
            if child.proc is None or child.stopped_on_purpose or child.reported_exit:
                continue
            if child.proc.poll() is not None:
                child.reported_exit = True
                dead.append(child)
        return dead

    def down(self) -> None:
        """Stop everything, newest first: the gateway, the services, then the stand-ins."""
        waves = [["gateway"], [*SERVICES, "weather-stub"], ["mongo", "s3"]]
        for wave in waves:
            _terminate([self.children[n] for n in wave if n in self.children])
        self._http.close()
        self._http = httpx.Client(timeout=2.0)
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _sleep(self, seconds: float) -> None:
        if self.interrupted.wait(seconds):
            raise Interrupted

    # ---------------------------------------------------------------- report
    def table(self) -> list[Row]:
        cfg = self.config
        rows: list[Row] = []
        if "gateway" in self.children:
            docs = f"{cfg.gateway_url}/docs"
            rows.append(Row("docs", docs, self._http_status(docs, ok="ok")))
        for name in ["gateway", *SERVICES]:
            if name in self.children:
                url = cfg.url(name)
                rows.append(Row(name, url, self._http_status(f"{url}/readyz", ok="ready")))
            elif name in self.skipped:
                rows.append(Row(name, "-", f"skipped: {self.skipped[name]}"))
        if "weather-stub" in self.children:
            stub = cfg.url("weather-stub")
            rows.append(Row("weather-stub", stub, self._http_status(f"{stub}/healthz", ok="up")))
        for name, label in (
            ("s3", cfg.s3_endpoint),
            ("mongo", cfg.mongo_url),
            ("mail", cfg.url("mail")),
        ):
            if name in self.children:
                child = self.children[name]
                up = child.running and child.probe(self._http)
                rows.append(Row(name, label, f"up ({child.what})" if up else "down"))
            else:
                rows.append(Row(name, label, self.skipped.get(name, "")))
        server = _url(cfg.postgres_server)
        dbs = ", ".join(_url(u).database or "" for u in cfg.database_urls.values())
        rows.append(
            Row("postgres", f"postgresql://{server.host}:{server.port or 5432}", f"up ({dbs})")
        )
        return rows

    def _http_status(self, url: str, *, ok: str) -> str:
        try:
            code = self._http.get(url).status_code
        except httpx.HTTPError:
            return "down"
        return ok if code == 200 else f"not ready ({code})"


def format_table(rows: list[Row]) -> str:
    head = Row("NAME", "URL", "STATUS")
    width_name = max(len(r.name) for r in [head, *rows])
    width_url = max(len(r.url) for r in [head, *rows])
    return "\n".join(
        f"  {r.name:<{width_name}}  {r.url:<{width_url}}  {r.status}".rstrip()
        for r in [head, *rows]
    )


def _terminate(children: list[Child], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM each child's whole group, wait up to ``grace``, then SIGKILL what is left.

    Only children not reaped yet are signalled: once reaped, a pid may belong to someone else.
    """
    live = [c for c in children if c.proc is not None and c.proc.returncode is None]
    for child in live:
        assert child.proc is not None
        _kill_group(child.proc, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in live:
        assert child.proc is not None
        try:
            child.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill_group(child.proc, signal.SIGKILL)
            child.proc.wait()
        # Anything the child left in its group (it leads the group: pgid == its pid).
        _kill_group(child.proc, signal.SIGKILL)


def _kill_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _url(url: str) -> "URL":
    from sqlalchemy.engine import make_url

    return make_url(url)


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


async def _postgres_error(server: str) -> str | None:
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


async def _drop_databases(server: str, names: list[str]) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for name in names:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()
