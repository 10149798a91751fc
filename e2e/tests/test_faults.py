"""Faults and bad input through the gateway (issue 10): nothing answers 500, nothing is lost.

- Any one service stopped: its routes answer 503 at once, every other route keeps answering,
  and everything recovers when it is back, without restarting the gateway.
- The weather provider misbehaving (error, garbage, slow, trickling): a prompt 502/504, and
  the circuit breaker opens (the provider is no longer called) and closes again.
- A table of bad input: forged, expired, ``alg: none``, wrong-audience tokens; non-image and
  oversize uploads; extreme pagination; Unicode and very long fields; one registration fired
  concurrently. Each gets a clear 4xx, and the stores hold exactly what they should.

"Promptly" is checked as a deadline on the client (a request that hangs fails the test), not
by asserting measured times.
"""

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from jose import jwt as jose_jwt
from pymongo.asynchronous.database import AsyncDatabase
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from inkwell_e2e.flows import PASSWORD, User, eventually, png, unique, unique_city
from inkwell_e2e.systems import Control, System
from inkwell_runtime.jwt import SigningKey

pytestmark = pytest.mark.anyio

PICTURE = "/api/users/me/profile-picture"
DEADLINE = httpx.Timeout(1.0)
"""A stopped service's routes must answer within this (the gateway must not hang on it)."""
WEATHER_DEADLINE = httpx.Timeout(5.0)
"""The e2e profile gives the weather service 1 s for the provider; a fault answers well within."""


def upload(data: bytes, name: str = "me.png", content_type: str = "image/png") -> dict[str, Any]:
    return {"files": {"file": (name, data, content_type)}}


# -- one service down -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Probe:
    """One route of a service, and the status it answers while that service is up."""

    method: str
    path: str
    ok: int


PROBES = {
    "auth": Probe("GET", "/api/users/me", 200),
    "content": Probe("GET", "/api/posts/{post_id}", 200),
    "preferences": Probe("GET", "/api/users/me/preferences", 200),
    "media": Probe("GET", "/api/users/{user_id}/profile-picture", 200),
    "weather": Probe("GET", "/api/weather/London", 200),
}


@pytest.fixture
def control(system: System) -> Control:
    if system.control is None:
        pytest.skip(f"E2E_STACK={system.kind} cannot stop and start services")
    return system.control


@dataclass
class Footprint:
    """Something of alice's in every service, for the probes to read."""

    user: User
    post_id: str

    def url(self, probe: Probe) -> str:
        return probe.path.format(post_id=self.post_id, user_id=self.user.id)


@pytest.fixture
async def footprint(gateway: httpx.AsyncClient, alice: User) -> Footprint:
    """A post, preferences, a picture and a weather lookup: every service has verified alice's
    token once, so each holds auth's public keys in its cache."""
    post = await gateway.post(
        "/api/posts", json={"title": "still here", "content": "x"}, headers=alice.headers
    )
    assert post.status_code == 201, post.text
    saved = await gateway.put(
        "/api/users/me/preferences", json={"city": "Oslo"}, headers=alice.headers
    )
    assert saved.status_code == 200, saved.text
    picture = await gateway.put(PICTURE, headers=alice.headers, **upload(png()))
    assert picture.status_code == 200, picture.text
    weather = await gateway.get("/api/weather/London", headers=alice.headers)
    assert weather.status_code == 200, weather.text
    return Footprint(alice, post.json()["id"])


async def probe_all(
    gateway: httpx.AsyncClient, footprint: Footprint, headers: dict[str, str]
) -> dict[str, httpx.Response]:
    answers = {}
    for service, probe in PROBES.items():
        answers[service] = await gateway.request(
            probe.method, footprint.url(probe), headers=headers, timeout=DEADLINE
        )
    return answers


@pytest.mark.parametrize("down", list(PROBES))
async def test_one_service_down_only_its_routes_fail_then_all_recover(
    gateway: httpx.AsyncClient, control: Control, system: System, footprint: Footprint, down: str
) -> None:
    user = footprint.user
    control.stop(down)
    try:
        answers = await probe_all(gateway, footprint, user.headers)
        ready = await gateway.get("/readyz", timeout=DEADLINE)
    finally:
        control.start(down)

    assert answers[down].status_code == 503
    assert answers[down].json() == {"detail": f"{down} service unavailable"}
    others = {name: answer.status_code for name, answer in answers.items() if name != down}
    assert others == {name: PROBES[name].ok for name in others}
    assert ready.status_code == 503
    assert ready.json()["services"][down] == "down"

    headers = user.headers

    async def all_answer() -> bool:
        nonlocal headers
        if down == "auth" and not system.stable_signing_key:
            # A new signing key after the restart: old tokens are void, log in again.
            login = await gateway.post(
                "/api/auth/token", data={"username": user.username, "password": user.password}
            )
            if login.status_code != 200:
                return False
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        answers = await probe_all(gateway, footprint, headers)
        return all(answers[name].status_code == probe.ok for name, probe in PROBES.items())

    assert await eventually(all_answer), f"the gateway did not recover after {down} came back"
    assert (await gateway.get("/readyz")).status_code == 200


# -- the weather provider misbehaving ---------------------------------------------------------
@pytest.mark.parametrize(
    ("prefix", "status", "detail"),
    [
        ("Errorville", 502, "Weather provider failed (it answered 500)"),
        ("Garbage", 502, "Weather provider answered an unreadable payload"),
        ("Slowtown", 504, "Weather provider timed out after 1 s"),
        ("Trickle", 504, "Weather provider timed out after 1 s"),
    ],
    ids=["500", "garbage", "slow", "slow trickle"],
)
async def test_provider_faults_are_prompt_clear_errors(
    gateway: httpx.AsyncClient, alice: User, prefix: str, status: int, detail: str
) -> None:
    """Within the deadline, whatever the provider does (a trickle never times out a read)."""
    answer = await gateway.get(
        f"/api/weather/{unique_city(prefix)}", headers=alice.headers, timeout=WEATHER_DEADLINE
    )

    assert answer.status_code == status
    assert answer.json() == {"detail": detail}


async def test_the_breaker_opens_on_failures_and_closes_again(
    gateway: httpx.AsyncClient, alice: User, weather_stub: httpx.AsyncClient
) -> None:
    """After enough provider failures the circuit opens: a 502 with Retry-After, answered
    without calling the provider. Once its reset time has passed, calls go through again."""
    opened = None
    for _ in range(20):  # the threshold is 5 by default; bounded, whatever it is
        answer = await gateway.get(
            f"/api/weather/{unique_city('Errorville')}", headers=alice.headers
        )
        assert answer.status_code == 502
        if "Retry-After" in answer.headers:
            opened = answer
            break
    assert opened is not None, "the breaker never opened"

    healthy_city = unique_city("Fine")
    refused = await gateway.get(f"/api/weather/{healthy_city}", headers=alice.headers)
    assert refused.status_code == 502
    assert refused.json()["detail"].startswith("Weather provider failing repeatedly: calls paused")
    assert int(refused.headers["Retry-After"]) >= 1
    assert (await weather_stub.get("/_stub/calls")).json().get(healthy_city.lower(), 0) == 0

    async def closed_again() -> bool:
        answer = await gateway.get(f"/api/weather/{healthy_city}", headers=alice.headers)
        return answer.status_code == 200

    assert await eventually(closed_again), "the breaker did not close again"
    assert (await weather_stub.get("/_stub/calls")).json()[healthy_city.lower()] == 1


# -- bad input ----------------------------------------------------------------------------------
@pytest.fixture
def auth_key(system: System) -> SigningKey | None:
    """Auth's real signing key, when this system lets the suite read it (local stack)."""
    if system.supervisor is None:
        return None
    path = system.supervisor.config.jwt_key_file
    return SigningKey(path.read_text()) if path.exists() else None


def claims(user: User, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": user.id,
        "username": user.username,
        "roles": ["user"],
        "iat": now,
        "exp": now + 600,
        "iss": "inkwell-auth",
        "aud": "inkwell",
    }
    return {**base, **overrides}


def b64(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forged(user: User, kid: str) -> str:
    """Signed by a key nobody trusts, claiming the trusted key's id."""
    return jose_jwt.encode(
        claims(user), SigningKey.generate().private_pem, algorithm="RS256", headers={"kid": kid}
    )


def alg_none(user: User, kid: str) -> str:
    import json

    header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    return f"{header}.{b64(json.dumps(claims(user)).encode())}."


PROTECTED: list[tuple[str, str, dict[str, Any] | str | None]] = [
    ("GET", "/api/users/me", None),
    ("POST", "/api/posts", {"json": {"title": "t", "content": "c"}}),
    ("GET", "/api/users/me/preferences", None),
    ("PUT", PICTURE, "picture"),
    ("GET", "/api/weather/London", None),
]
BAD_TOKENS = ["garbage", "forged", "alg none", "expired", "wrong audience", "wrong issuer"]


@pytest.mark.parametrize("kind", BAD_TOKENS)
async def test_bad_tokens_are_401_everywhere_and_write_nothing(
    gateway: httpx.AsyncClient,
    alice: User,
    auth_key: SigningKey | None,
    content_db: AsyncEngine,
    kind: str,
) -> None:
    kid = (await gateway.get("/api/auth/jwks.json")).json()["keys"][0]["kid"]
    if kind == "garbage":
        token = "not.a.jwt"
    elif kind == "forged":
        token = forged(alice, kid)
    elif kind == "alg none":
        token = alg_none(alice, kid)
    else:
        if auth_key is None:
            pytest.skip("needs auth's signing key (E2E_STACK=local)")
        assert auth_key.kid == kid
        now = int(time.time())
        table: dict[str, dict[str, Any]] = {
            "expired": {"iat": now - 3600, "exp": now - 60},
            "wrong audience": {"aud": "someone-else"},
            "wrong issuer": {"iss": "evil"},
        }
        changes = table[kind]
        token = auth_key.sign(claims(alice, **changes))
    headers = {"Authorization": f"Bearer {token}"}

    statuses = []
    for method, path, body in PROTECTED:
        kwargs: dict[str, Any] = upload(png()) if isinstance(body, str) else (body or {})
        answer = await gateway.request(method, path, headers=headers, **kwargs)
        statuses.append(answer.status_code)
        assert answer.json() == {"detail": "Could not validate credentials"}, (path, answer.text)

    assert statuses == [401] * len(PROTECTED)
    async with content_db.connect() as conn:
        written = await conn.scalar(
            text("SELECT count(*) FROM posts WHERE author_id = :id"), {"id": uuid.UUID(alice.id)}
        )
    assert written == 0


async def test_uploads_that_are_not_images_or_too_big_change_nothing(
    gateway: httpx.AsyncClient, alice: User, bucket: Any, system: System
) -> None:
    first = await gateway.put(PICTURE, headers=alice.headers, **upload(png(3, 3)))
    assert first.status_code == 200
    key = first.json()["key"]
    stored = bucket.get_object(Bucket=system.stores.bucket, Key=key)["Body"].read()

    bad = {
        "text as png": (upload(b"hello, I am not a picture", "note.png"), 415),
        "html as png": (upload(b"<html><script>alert(1)</script></html>", "x.png"), 415),
        "truncated png": (upload(png(8, 8)[:40]), 422),
        "empty file": (upload(b""), 415),
        "over 5 MiB": (upload(png() + b"\0" * (5 * 1024 * 1024)), 413),
        "no file field": ({"data": {"file": "not a file"}}, 422),
    }
    answers = {}
    for name, (kwargs, _) in bad.items():
        answer = await gateway.put(PICTURE, headers=alice.headers, **kwargs)
        answers[name] = answer.status_code

    assert answers == {name: status for name, (_, status) in bad.items()}
    assert bucket.get_object(Bucket=system.stores.bucket, Key=key)["Body"].read() == stored
    listed = bucket.list_objects_v2(Bucket=system.stores.bucket, Prefix=key)
    assert [item["Key"] for item in listed.get("Contents", [])] == [key]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": -1},
        {"limit": 10**9},
        {"limit": "ten"},
        {"skip": -1},
        {"skip": 10**30},
        {"skip": "1e3"},
        {"limit": "1.5"},
    ],
    ids=str,
)
async def test_extreme_pagination_is_422(
    gateway: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    answer = await gateway.get("/api/posts", params=params)

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][0] == "query"


async def test_a_page_far_beyond_the_end_is_empty(gateway: httpx.AsyncClient) -> None:
    answer = await gateway.get("/api/posts", params={"skip": 1000, "limit": 100})

    assert answer.status_code == 200
    assert answer.json()["items"] == []
    assert answer.json()["has_more"] is False


UNICODE = "Ünïcödé ✍️ 東京 مرحبا ẞ e\u0301 👩🏽‍💻"


async def test_unicode_round_trips_exactly_through_every_store(
    gateway: httpx.AsyncClient,
    alice: User,
    content_db: AsyncEngine,
    mongo: AsyncDatabase[dict[str, Any]],
) -> None:
    post = await gateway.post(
        "/api/posts",
        json={"title": UNICODE, "content": UNICODE * 100},
        headers=alice.headers,
    )
    assert post.status_code == 201, post.text
    served = await gateway.get(f"/api/posts/{post.json()['id']}")
    assert (served.json()["title"], served.json()["content"]) == (UNICODE, UNICODE * 100)
    async with content_db.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT title, content FROM posts WHERE id = :id"),
                {"id": uuid.UUID(post.json()["id"])},
            )
        ).one()
    assert tuple(row) == (UNICODE, UNICODE * 100)

    saved = await gateway.put(
        "/api/users/me/preferences", json={"city": "Zürich"}, headers=alice.headers
    )
    assert saved.status_code == 200
    document = await mongo["preferences"].find_one({"user_id": alice.id})
    assert document is not None
    assert document["city"] == "Zürich"

    weather = await gateway.get("/api/weather/東京", headers=alice.headers)
    assert weather.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("POST", "/api/posts", {"title": "x" * 201, "content": "c"}),
        ("POST", "/api/posts", {"title": "t", "content": "c" * 50_001}),
        ("POST", "/api/posts", {"title": "nul \x00 inside", "content": "c"}),
        ("POST", "/api/posts", {"title": "   ", "content": "c"}),
        ("PUT", "/api/users/me/preferences", {"city": "x" * 101}),
        ("PUT", "/api/users/me/preferences", {"city": "Oslo", "units": "kelvin"}),
        ("GET", "/api/weather/" + "a" * 101, None),
        ("GET", "/api/weather/%F0%9F%92%A3", None),
    ],
    ids=[
        "title too long",
        "content too long",
        "NUL in title",
        "blank title",
        "city too long",
        "unknown units",
        "city name too long",
        "emoji city",
    ],
)
async def test_long_or_unstorable_fields_are_422_and_store_nothing(
    gateway: httpx.AsyncClient,
    alice: User,
    content_db: AsyncEngine,
    mongo: AsyncDatabase[dict[str, Any]],
    method: str,
    path: str,
    payload: dict[str, Any] | None,
) -> None:
    answer = await gateway.request(method, path, json=payload, headers=alice.headers)

    assert answer.status_code == 422, answer.text
    async with content_db.connect() as conn:
        posts = await conn.scalar(
            text("SELECT count(*) FROM posts WHERE author_id = :id"), {"id": uuid.UUID(alice.id)}
        )
    assert posts == 0
    assert await mongo["preferences"].count_documents({"user_id": alice.id}) == 0


@pytest.mark.parametrize(
    "account",
    [
        {"username": "ünïcode", "email": "u@example.com", "password": PASSWORD},
        {"username": "x" * 33, "email": "x@example.com", "password": PASSWORD},
        {"username": "longmail", "email": "a" * 320 + "@example.com", "password": PASSWORD},
        {"username": "longpass", "email": "p@example.com", "password": "p" * 10_000},
        {"username": "nul\x00name", "email": "n@example.com", "password": PASSWORD},
    ],
    ids=["unicode username", "long username", "long email", "long password", "NUL in username"],
)
async def test_bad_registrations_are_422_and_store_nothing(
    gateway: httpx.AsyncClient, auth_db: AsyncEngine, account: dict[str, str]
) -> None:
    answer = await gateway.post("/api/auth/register", json=account)

    assert answer.status_code == 422, answer.text
    async with auth_db.connect() as conn:
        stored = await conn.scalar(
            text("SELECT count(*) FROM users WHERE email = :e"), {"e": account["email"].lower()}
        )
    assert stored == 0


async def test_one_registration_fired_concurrently_creates_one_account(
    gateway: httpx.AsyncClient, auth_db: AsyncEngine
) -> None:
    username = unique("racer")
    account = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}

    answers = await asyncio.gather(
        *(gateway.post("/api/auth/register", json=account) for _ in range(10))
    )

    assert sorted(answer.status_code for answer in answers) == [201] + [409] * 9
    async with auth_db.connect() as conn:
        stored = await conn.scalar(
            text("SELECT count(*) FROM users WHERE email = :e"), {"e": account["email"]}
        )
    assert stored == 1
