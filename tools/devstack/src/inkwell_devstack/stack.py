"""The supervisor behind ``make dev`` and the e2e suite's local stack.

It runs every part of Inkwell as a local process, each in a process group of its own:

1. PostgreSQL is not started, only checked (it is a system service); the services' databases are
   created when missing and migrated to head.
2. The stand-ins: an S3 endpoint (moto's server, or LocalStack when installed), a Mongo endpoint
   (the mongoeco wire server over an SQLite file) and, on request, the weather stub and a
   Cognito user pool (another moto server; the pool and its app client created at start).
3. The registry's services (``contracts.registry``) and the gateway under uvicorn, each
   waited for on its ``/readyz``.

``down()`` stops them in reverse order (SIGTERM to the whole group, then SIGKILL after a grace
period); children also get SIGTERM if the supervisor dies without cleaning up (Linux
``PR_SET_PDEATHSIG``), so nothing is left behind. One lock file under the run folder says a stack
is already running. Every failure a user can cause or fix (a port taken, PostgreSQL down, a
child that crashes at start) is a :class:`StackError` with a readable message and, for a child,
the tail of its log.

Heavy modules (SQLAlchemy, PyMongo, cryptography) are imported where used, so a start that
cannot happen (already running, a port taken) is reported in well under a second.
"""

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from inkwell_devstack.cognito import Pool, create_pool
from inkwell_devstack.config import GATEWAY_FACTORY, TEST_AWS, StackConfig
from inkwell_devstack.databases import migrate_databases, parse_url
from inkwell_devstack.errors import ComponentFailed, Interrupted, PortsInUse, StackError
from inkwell_devstack.lock import RunLock
from inkwell_devstack.pages import page_status
from inkwell_devstack.processes import (
    Child,
    Probe,
    die_with_parent,
    http_probe,
    log_tail,
    module_available,
    mongo_probe,
    ports_in_use,
    shown,
    terminate,
)
from inkwell_devstack.report import Row
from inkwell_testing.redis import ping as redis_ping
from inkwell_testing.redis import redis_server_argv

WEATHER_STUB_FACTORY = "inkwell_devstack.stubs.weather:create_app"
POLL_SECONDS = 0.1
STAND_INS = ("s3", "mongo", "redis", "mail", "cognito", "weather-stub")

Out = Callable[[str], None]


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


@dataclass
class Supervisor:
    config: StackConfig
    out: Out = print
    interrupted: threading.Event = field(default_factory=threading.Event)
    children: dict[str, Child] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    """Components not started, with the reason (shown in the table)."""
    cognito: Pool | None = None
    """The Cognito stand-in's pool, once created (``--cognito``)."""
    _lock: RunLock | None = None
    _http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=2.0))

    # ---------------------------------------------------------------- plan
    @property
    def service_names(self) -> list[str]:
        return [name for name in self.config.registry.names if name in self.children]

    def plan(self) -> None:
        """Decide every child's command line and environment (nothing starts yet)."""
        cfg = self.config
        registry = cfg.registry
        self.children.clear()
        self.skipped.clear()
        # Stand-ins only for what some service of the registry keeps its data in.
        if not registry.storing("s3"):
            pass
        elif cfg.s3 == "moto":
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
        if not registry.storing("mongo"):
            pass
        elif cfg.mongo_url_override is None:
            self._add(
                "mongo",
                [
                    sys.executable,
                    "-m",
                    "inkwell_testing.mongo",
                    "--host",
                    cfg.host,
                    "--port",
                    str(cfg.ports["mongo"]),
                    "--data-dir",
                    str(cfg.mongo_data_dir),
                ],
                dict(os.environ),
                address=f"mongodb://{cfg.host}:{cfg.ports['mongo']}",
                what=f"mongoeco wire server (data: {shown(cfg.mongo_data_dir, cfg.root)})",
                probe=mongo_probe(cfg.mongo_url),
            )
        else:
            self.skipped["mongo"] = f"external: {cfg.mongo_url}"
        if cfg.redis:
            self._add_redis()
        if "auth" in registry:  # what auth mails goes to a capture server
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
                    f"(mail: {shown(cfg.mail_dir, cfg.root)}, one .eml per message)"
                ),
                probe=http_probe(f"{cfg.url('mail')}/healthz"),
            )
        if cfg.cognito and "auth" in registry:
            self._add(
                "cognito",
                [
                    sys.executable,
                    "-m",
                    "moto.server",
                    "-H",
                    cfg.host,
                    "-p",
                    str(cfg.ports["cognito"]),
                ],
                dict(os.environ),
                address=cfg.url("cognito"),
                what="moto server (Cognito user pool)",
                probe=http_probe(f"{cfg.url('cognito')}/moto-api/"),
            )
        if cfg.weather_stub and any(service.third_party for service in registry):
            stub_env = {**os.environ, **cfg.service_env}
            self._add_uvicorn("weather-stub", WEATHER_STUB_FACTORY, stub_env, "/healthz")
        for service in registry:
            if module_available(service.factory):
                self._add_uvicorn(
                    service.name, service.factory, self.service_env(service.name), "/readyz"
                )
            else:
                self.skipped[service.name] = f"not installed ({service.module} missing)"
        if module_available(GATEWAY_FACTORY):
            # With a service missing the gateway's /readyz stays 503: wait for /healthz then.
            path = "/healthz" if any(n in self.skipped for n in registry.names) else "/readyz"
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
            "inkwell_runtime.serve",
            factory,
            "--host",
            cfg.host,
            "--port",
            str(cfg.ports[name]),
            "--timeout-graceful-shutdown",
            "5",
            # no .env of its own: `make dev` read the root's into this environment already, and
            # the e2e suite's stacks must not see a developer's
            "--env-file",
            "",
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

    def _add_redis(self) -> None:
        cfg = self.config
        try:
            argv = redis_server_argv(cfg.host, cfg.ports["redis"])
        except FileNotFoundError as exc:
            raise StackError(f"--redis (INKWELL_REDIS=1): {exc}") from exc
        self._add(
            "redis",
            argv,
            dict(os.environ),
            address=cfg.redis_url,
            what="redis-server (the gateway's login limit; nothing saved)",
            probe=lambda _client: redis_ping(cfg.host, cfg.ports["redis"]),
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
        """The caller's environment plus what wires this component to the others: its stores
        (from the registry's ``storage``), the services it calls (``<NAME>_URL``), auth's JWKS."""
        cfg = self.config
        registry = cfg.registry
        env = dict(os.environ)
        if "auth" in registry:
            env["AUTH_JWKS_URL"] = f"{cfg.url('auth')}/api/auth/jwks.json"
            # sessions and users auth revoked: refused everywhere within seconds
            env["AUTH_REVOCATIONS_URL"] = f"{cfg.url('auth')}/internal/revocations"
        # links and docs point at this stack's gateway (its port may not be 8000)
        gateway = cfg.gateway_url
        env.setdefault("DOCS_TOKEN_URL", f"{gateway}/api/auth/token")
        env.setdefault("PUBLIC_BASE_URL", gateway)
        calls = registry.names if name == "gateway" else registry[name].calls
        for other in calls:
            env[f"{registry[other].env_name}_URL"] = cfg.url(other)
        if name == "gateway":
            env.setdefault("UVICORN_HTTP", "gateway.edge:EdgeProtocol")  # header/body limits
            # each service's own /docs asks the gateway for tokens (DOCS_TOKEN_URL) from its origin
            env.setdefault("CORS_ORIGINS", ",".join(cfg.url(other) for other in registry.names))
            if cfg.redis:
                env["RATE_LIMIT_STORAGE_URL"] = cfg.redis_url
            env.update(cfg.service_env)
            return env
        service = registry[name]
        if name == "auth" and cfg.redis:
            env["RATE_LIMIT_STORAGE_URL"] = cfg.redis_url  # failed logins, per account
        if name == "weather" and cfg.redis:
            env["WEATHER_CACHE_URL"] = cfg.redis_url  # reports, for every weather process
        if name == "auth":
            # Mail goes to the capture server (reset links point at this stack's gateway).
            env["EMAIL_BACKEND"] = "smtp"
            env["SMTP_HOST"] = cfg.host
            env["SMTP_PORT"] = str(cfg.ports["smtp"])
        if "postgres" in service.storage:
            env["DATABASE_URL"] = cfg.database_urls[name]
        if "mongo" in service.storage:
            env["MONGO_URL"] = cfg.mongo_url
        if "s3" in service.storage:
            env["AWS_ENDPOINT_URL_S3"] = cfg.s3_endpoint
            if cfg.s3 != "external":
                env.update(TEST_AWS)
        if service.third_party is not None:
            if cfg.weather_stub:
                env[service.third_party] = cfg.url("weather-stub")
            elif cfg.weather_api_url:
                env[service.third_party] = cfg.weather_api_url
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
                f"(data {shown(cfg.data_dir, cfg.root)}, logs {shown(cfg.log_dir, cfg.root)})"
            )
            for name, reason in self.skipped.items():
                self.out(f"  - {name:<13} skipped: {reason}")
            # The stand-ins boot while the migrations run; both are done before any service.
            backing: list[str] = [n for n in STAND_INS if n in self.children]
            for name in backing:
                self.start(name)
            wanted = [n for n in cfg.database_urls if n in self.children]
            migrate_databases(cfg, wanted, self.out, self._sleep)
            self.wait_ready(backing)
            if "cognito" in self.children:
                self._use_cognito(create_pool(cfg.url("cognito")))
            self._start_and_wait(self.service_names, also_start=["gateway"])
            if "gateway" in self.children:
                self.wait_ready(["gateway"])
            self.out(f"inkwell {cfg.profile}: ready in {time.monotonic() - began:.1f}s")
        except BaseException:
            self.down()
            raise

    def _use_cognito(self, pool: Pool) -> None:
        """Point auth and every service at the pool just created (its ids are moto's)."""
        self.cognito = pool
        for name in [*self.service_names, "gateway"]:
            if name in self.children:
                extra = pool.auth_env() if name == "auth" else pool.service_env()
                self.children[name].env.update(extra)
        self.out(f"  cognito user pool {pool.pool_id}, app client {pool.client_id}")

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
                preexec_fn=die_with_parent(),
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
                        f"{shown(child.log, self.config.root)}:\n{log_tail(child.log)}"
                    )
                if child.probe(self._http):
                    took = time.monotonic() - child.started_at
                    self.out(f"  ✓ {child.name:<13} {child.address:<40} {child.what} ({took:.1f}s)")
                    pending.remove(child)
            if pending and time.monotonic() > deadline:
                child = pending[0]
                raise ComponentFailed(
                    f"{child.name} was not ready within {self.config.start_timeout:.0f}s; "
                    f"{shown(child.log, self.config.root)}:\n{log_tail(child.log)}"
                )
            if pending:
                self._sleep(POLL_SECONDS)

    def stop(self, name: str) -> None:
        """Stop one child on purpose (the e2e suite's outage test)."""
        child = self.children[name]
        child.stopped_on_purpose = True
        terminate([child])

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
        services = [*self.config.registry.names]
        # whatever else runs (every stand-in, whichever were added) goes last: nothing is left
        rest = [name for name in self.children if name != "gateway" and name not in services]
        for wave in (["gateway"], services, rest):
            terminate([self.children[n] for n in wave if n in self.children])
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
            # each page and the scripts and stylesheets it loads: all from the gateway (offline)
            for name, path in (("web client", "/"), ("docs", "/docs"), ("redoc", "/redoc")):
                page = f"{cfg.gateway_url}{path}"
                rows.append(Row(name, page, page_status(self._http, page)))
        for name in ["gateway", *cfg.registry.names]:
            if name in self.children:
                url = cfg.url(name)
                rows.append(Row(name, url, self._http_status(f"{url}/readyz", ok="ready")))
            elif name in self.skipped:
                rows.append(Row(name, "-", f"skipped: {self.skipped[name]}"))
        if "weather-stub" in self.children:
            stub = cfg.url("weather-stub")
            rows.append(Row("weather-stub", stub, self._http_status(f"{stub}/healthz", ok="up")))
        stores = (
            ("s3", cfg.s3_endpoint, bool(cfg.registry.storing("s3"))),
            ("mongo", cfg.mongo_url, bool(cfg.registry.storing("mongo"))),
            ("redis", cfg.redis_url, cfg.redis),
            ("mail", cfg.url("mail"), "auth" in cfg.registry),
            ("cognito", cfg.url("cognito"), cfg.cognito and "auth" in cfg.registry),
        )
        for name, label, used in stores:
            if not used:
                continue
            if name in self.children:
                child = self.children[name]
                up = child.running and child.probe(self._http)
                rows.append(Row(name, label, f"up ({child.what})" if up else "down"))
            else:
                rows.append(Row(name, label, self.skipped.get(name, "")))
        if not cfg.database_urls:
            return rows
        server = parse_url(cfg.postgres_server)
        dbs = ", ".join(parse_url(u).database or "" for u in cfg.database_urls.values())
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
