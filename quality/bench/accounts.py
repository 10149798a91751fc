"""``make bench-accounts``: does timing tell who has an account, and does hashing stall auth?

1. Login: the median of 30 failed logins for existing accounts against 30 for unknown
   usernames, interleaved, through the gateway (target: within 10 % of each other). Successful
   logins are shown too.
2. Forgot-password: the same, 30 known against 30 unknown addresses, 0.2 s apart (target:
   within 10 %); and back to back, where the request after a known address shares the service
   with that address's detached work (shown apart: a load effect, not the answer's own time).
3. Hashing off the event loop: the max latency of ``GET /api/auth/jwks.json`` straight to auth
   while 16 logins run at once, against idle (target: max <= 50 ms).

Real Argon2 cost (the production defaults, not the e2e suite's cheap one). The stack is the e2e
runner's on its own ports (``BENCH_ACCOUNTS_PORT_BASE``, default 19100), databases and folders
(``BENCH_ACCOUNTS_NAME``, default ``bench_accounts``). The load average is printed and saved:
on a shared machine the figures mean little above a load of about 1.
Figures are printed and saved to ``quality/bench/results/accounts.json``; nothing asserts.
"""

import asyncio
import json
import os
import platform
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from inkwell_devstack.config import side_stack
from inkwell_devstack.stack import Supervisor

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "quality" / "bench" / "results"
PORT_BASE = int(os.environ.get("BENCH_ACCOUNTS_PORT_BASE", "19100"))
NAME = os.environ.get("BENCH_ACCOUNTS_NAME", "bench_accounts")
"""The stack's databases and folders (``inkwell_<NAME>_*``): another name for a parallel run."""
PASSWORD = "correct horse battery staple"  # noqa: S105 - a bench account
SAMPLES = 30
CONCURRENT_LOGINS = 16
TARGET_RATIO = 0.10
TARGET_JWKS_MAX_MS = 50.0


def say(line: str) -> None:
    print(line, flush=True)


async def timed(call: Any) -> float:
    began = time.perf_counter()
    response = await call
    elapsed = (time.perf_counter() - began) * 1000
    if response.status_code >= 500:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
    return elapsed


async def register(client: httpx.AsyncClient, count: int) -> list[str]:
    names = [f"bench_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    for name in names:
        created = await client.post(
            "/api/auth/register",
            json={"username": name, "email": f"{name}@example.com", "password": PASSWORD},
        )
        created.raise_for_status()
    return names


def compare(known: list[float], unknown: list[float]) -> dict[str, float]:
    a, b = statistics.median(known), statistics.median(unknown)
    return {
        "existing_median_ms": round(a, 2),
        "unknown_median_ms": round(b, 2),
        "difference": round(abs(a - b) / max(a, b), 4),
    }


async def login_timing(gateway: httpx.AsyncClient) -> dict[str, Any]:
    names = await register(gateway, SAMPLES)
    known, unknown, success = [], [], []
    for name in names:  # interleaved, so drift in the machine's load hits both alike
        known.append(
            await timed(
                gateway.post("/api/auth/login", json={"username": name, "password": "wrong guess!"})
            )
        )
        unknown.append(
            await timed(
                gateway.post(
                    "/api/auth/login",
                    json={"username": f"ghost_{uuid.uuid4().hex[:10]}", "password": "wrong guess!"},
                )
            )
        )
        success.append(
            await timed(
                gateway.post("/api/auth/login", json={"username": name, "password": PASSWORD})
            )
        )
    return {**compare(known, unknown), "success_median_ms": round(statistics.median(success), 2)}


async def forgot_timing(
    gateway: httpx.AsyncClient, settle: float, *, control: bool = False
) -> dict[str, Any]:
    """``settle`` seconds between requests: each answer measured on its own. Back to back
    (``settle=0``) each request also shares the service with the previous one's detached work
    (the same statements and one SMTP send, known or not): a load effect, shown apart.

    ``control``: an A/A run, known addresses on *both* sides. Whatever difference it shows is
    the bench's own noise at this sample size, the floor under the known-vs-unknown figure."""
    names = await register(gateway, SAMPLES * (2 if control else 1))
    known: list[float] = []
    unknown: list[float] = []

    async def ask(email: str, into: list[float]) -> None:
        into.append(await timed(gateway.post("/api/auth/forgot-password", json={"email": email})))
        await asyncio.sleep(settle)

    for i, name in enumerate(names[:SAMPLES]):  # the order alternates: neither always first
        other = names[SAMPLES + i] if control else f"ghost_{uuid.uuid4().hex[:10]}"
        pair = [(f"{name}@example.com", known), (f"{other}@example.com", unknown)]
        for email, into in pair if i % 2 == 0 else reversed(pair):
            await ask(email, into)
    return compare(known, unknown)


async def jwks_latency(auth: httpx.AsyncClient) -> dict[str, Any]:
    name = (await register(auth, 1))[0]
    idle = [await timed(auth.get("/api/auth/jwks.json")) for _ in range(50)]
    busy: list[float] = []

    async def logins() -> float:
        began = time.perf_counter()
        await asyncio.gather(
            *(
                auth.post("/api/auth/login", json={"username": name, "password": PASSWORD})
                for _ in range(CONCURRENT_LOGINS)
            )
        )
        return time.perf_counter() - began

    burst = asyncio.create_task(logins())
    while not burst.done():
        busy.append(await timed(auth.get("/api/auth/jwks.json")))
    seconds = await burst
    return {
        "idle_max_ms": round(max(idle), 2),
        "idle_median_ms": round(statistics.median(idle), 2),
        "during_logins_max_ms": round(max(busy), 2),
        "during_logins_median_ms": round(statistics.median(busy), 2),
        "requests_during_logins": len(busy),
        "logins_seconds": round(seconds, 2),
    }


async def measure(gateway_url: str, auth_url: str) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=64)
    async with (
        httpx.AsyncClient(base_url=gateway_url, timeout=60, limits=limits) as gateway,
        httpx.AsyncClient(base_url=auth_url, timeout=60, limits=limits) as auth,
    ):
        return {
            "login": await login_timing(gateway),
            "forgot_password": await forgot_timing(gateway, settle=0.2),
            "forgot_password_back_to_back": await forgot_timing(gateway, settle=0),
            "forgot_password_back_to_back_control": await forgot_timing(
                gateway, settle=0, control=True
            ),
            "jwks_while_hashing": await jwks_latency(auth),
        }


def report(figures: dict[str, Any]) -> None:
    for name in ("login", "forgot_password", "forgot_password_back_to_back"):
        f = figures[name]
        verdict = "ok" if f["difference"] <= TARGET_RATIO else "MISSED"
        say(
            f"{name:<28} existing {f['existing_median_ms']:8.2f} ms   unknown "
            f"{f['unknown_median_ms']:8.2f} ms   difference {f['difference']:.1%} "
            f"(target <= {TARGET_RATIO:.0%}: {verdict})"
        )
    c = figures["forgot_password_back_to_back_control"]
    say(
        f"{'  A/A control (known, known)':<28} one half {c['existing_median_ms']:8.2f} ms   other "
        f"{c['unknown_median_ms']:8.2f} ms   difference {c['difference']:.1%} "
        "(no target: the bench's own noise back to back)"
    )
    if "success_median_ms" in figures["login"]:
        say(f"{'login (success)':<16} median {figures['login']['success_median_ms']:.2f} ms")
    j = figures["jwks_while_hashing"]
    verdict = "ok" if j["during_logins_max_ms"] <= TARGET_JWKS_MAX_MS else "MISSED"
    say(
        f"jwks.json        idle max {j['idle_max_ms']:.2f} ms   during {CONCURRENT_LOGINS} logins "
        f"max {j['during_logins_max_ms']:.2f} ms, median {j['during_logins_median_ms']:.2f} ms "
        f"({j['requests_during_logins']} requests; the logins took {j['logins_seconds']} s) "
        f"(target max <= {TARGET_JWKS_MAX_MS:.0f} ms: {verdict})"
    )


def main() -> None:
    load_before = os.getloadavg()
    config = side_stack(
        NAME,
        PORT_BASE,
        {
            "LOG_LEVEL": "WARNING",
            "ARGON2_TIME_COST": "3",
            "ARGON2_MEMORY_KIB": "65536",
            "LOGIN_FAILURE_LIMIT": "off",
            "LOGIN_RATE_LIMIT": "off",
        },
    )
    supervisor = Supervisor(config, out=say)
    supervisor.up()
    try:
        figures = asyncio.run(measure(config.gateway_url, config.url("auth")))
    finally:
        supervisor.down()
    report(figures)
    load_after = os.getloadavg()
    say(f"load average (1/5/15 min) before {load_before}, after {load_after}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "accounts.json").write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "load_average": {"before": load_before, "after": load_after},
                **figures,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
