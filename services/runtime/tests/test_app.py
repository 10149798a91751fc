"""The shared app factory: request ids, JSON errors, health, the auth dependencies."""

import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
import respx
from fastapi import APIRouter, Depends, FastAPI, Request

from contracts.auth import TokenClaims
from inkwell_runtime.app import build_app, build_service_app
from inkwell_runtime.auth import CurrentClaims, get_bearer_token, require_role
from inkwell_runtime.errors import DomainError, ServiceUnavailable
from inkwell_runtime.health import ReadinessCheck
from inkwell_runtime.logging import configure_logging
from inkwell_runtime.settings import ServiceSettings
from inkwell_runtime.state import state_dependency
from inkwell_testing.apps import served
from inkwell_testing.tokens import TestSigner

pytestmark = pytest.mark.anyio

router = APIRouter()
logger = logging.getLogger("inkwell.test")


@router.get("/whoami")
async def whoami(claims: CurrentClaims) -> dict[str, str]:
    logger.info("whoami called")
    return {"username": claims.username}


@router.get("/admin", dependencies=[Depends(require_role("admin"))])
async def admin() -> dict[str, bool]:
    return {"ok": True}


@router.get("/token")
async def raw_token(token: str = Depends(get_bearer_token)) -> dict[str, int]:
    return {"length": len(token)}


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internals")


@router.get("/down")
async def down() -> None:
    raise ServiceUnavailable("Storage unavailable")


async def failing_check(request: Request) -> None:
    raise ConnectionError("nope")


async def passing_check(request: Request) -> None:
    return None


def make_app(signer: TestSigner | None, **checks: ReadinessCheck) -> FastAPI:
    settings = ServiceSettings(
        environment="test", auth_jwks_url="http://auth.test/jwks.json", log_json=True
    )
    return build_service_app(
        settings,
        name="runtime-test",
        description="test",
        routers=[router],
        readiness_checks=checks,
        token_verifier=signer.verifier() if signer else None,
    )


@pytest.fixture
async def client(signer: TestSigner) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app(signer)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as client:
        yield client


async def test_request_id_is_generated_when_absent(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert len(response.headers["X-Request-ID"]) == 32


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("trace-123", True), ("a" * 128, True), ("a" * 129, False), ("bad\nline", False), ("", False)],
)
async def test_caller_request_ids_are_kept_only_when_log_safe(
    client: httpx.AsyncClient, sent: str, kept: bool
) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": sent})

    echoed = response.headers["X-Request-ID"]
    assert (echoed == sent) is kept
    if not kept:
        assert len(echoed) == 32


async def test_log_lines_carry_the_request_id(
    capsys: pytest.CaptureFixture[str], signer: TestSigner, client: httpx.AsyncClient
) -> None:
    configure_logging("runtime-test", "INFO")  # bind the handler to the captured stderr
    await client.get("/whoami", headers={**signer.bearer(), "X-Request-ID": "req-42"})

    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    (line,) = [entry for entry in lines if entry["message"] == "whoami called"]
    assert line["request_id"] == "req-42"
    assert line["service"] == "runtime-test"
    assert line["level"] == "INFO"


async def test_unhandled_error_is_a_json_500_without_internals(client: httpx.AsyncClient) -> None:
    response = await client.get("/boom")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error"}
    assert "secret" not in response.text


async def test_service_unavailable_is_503_with_its_detail(client: httpx.AsyncClient) -> None:
    response = await client.get("/down")

    assert response.status_code == 503
    assert response.json() == {"detail": "Storage unavailable"}
    assert response.headers["Retry-After"] == "5"


@pytest.mark.parametrize(
    ("checks", "status", "expected"),
    [
        ({}, 200, {}),
        ({"db": passing_check}, 200, {"db": "up"}),
        ({"db": passing_check, "s3": failing_check}, 503, {"db": "up", "s3": "down"}),
    ],
)
async def test_readyz_reports_each_check(
    checks: dict[str, ReadinessCheck], status: int, expected: dict[str, str], signer: TestSigner
) -> None:
    app = make_app(signer, **checks)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.get("/readyz")

    assert response.status_code == status
    assert response.json()["checks"] == expected
    assert response.json()["status"] == ("ready" if status == 200 else "not ready")


async def test_require_role(client: httpx.AsyncClient, signer: TestSigner) -> None:
    user = await client.get("/admin", headers=signer.bearer(roles=["user"]))
    admin = await client.get("/admin", headers=signer.bearer(roles=["user", "admin"]))
    anonymous = await client.get("/admin")

    assert (user.status_code, user.json()) == (403, {"detail": "Not enough permissions"})
    assert admin.json() == {"ok": True}
    assert (anonymous.status_code, anonymous.json()) == (401, {"detail": "Not authenticated"})


async def test_bearer_token_is_passed_through(
    client: httpx.AsyncClient, signer: TestSigner
) -> None:
    ok = await client.get("/token", headers={"Authorization": "Bearer abc"})
    missing = await client.get("/token")

    assert ok.json() == {"length": 3}
    assert missing.status_code == 401


@respx.mock
async def test_lifespan_verifies_against_auths_jwks(signer: TestSigner) -> None:
    """No verifier given: the lifespan fetches auth's JWKS (mocked here with respx)."""
    jwks = respx.get("http://auth.test/jwks.json").respond(json=signer.key.jwks())
    app = make_app(None)

    async with served(app) as client:
        ok = await client.get("/whoami", headers=signer.bearer(username="bob"))
        forged = await client.get(
            "/whoami", headers={"Authorization": f"Bearer {signer.foreign()}"}
        )

    assert ok.json() == {"username": "bob"}
    assert forged.status_code == 401
    assert jwks.called


@respx.mock
async def test_auth_unreachable_is_503_not_401(signer: TestSigner) -> None:
    respx.get("http://auth.test/jwks.json").mock(side_effect=httpx.ConnectError("refused"))
    app = make_app(None)

    async with served(app) as client:
        response = await client.get("/whoami", headers=signer.bearer())

    assert response.status_code == 503
    assert "signing keys" in response.json()["detail"]


@respx.mock
async def test_keys_fetched_at_start_outlive_an_outage_of_auth(signer: TestSigner) -> None:
    """A replica that has served nothing yet still verifies tokens while auth is down: the
    keys were fetched at start (a scaled stack's content replica, auth stopped)."""
    jwks = respx.get("http://auth.test/jwks.json").respond(json=signer.key.jwks())
    app = make_app(None)

    async with served(app) as client:
        ready = await client.get("/readyz")
        fetched_at_start = jwks.call_count
        jwks.mock(side_effect=httpx.ConnectError("refused"))  # auth goes away
        ok = await client.get("/whoami", headers=signer.bearer(username="bob"))
        still_ready = await client.get("/readyz")

    assert fetched_at_start == 1
    assert (ready.status_code, ready.json()["checks"]) == (200, {"signing_keys": "up"})
    assert (ok.status_code, ok.json()) == (200, {"username": "bob"})
    assert (still_ready.status_code, still_ready.json()["checks"]) == (200, {"signing_keys": "up"})


@respx.mock
async def test_not_ready_until_the_keys_are_fetched(signer: TestSigner) -> None:
    """Auth down at start: /readyz 503 (signing_keys down) and asks again each time; ready
    once auth answers."""
    jwks = respx.get("http://auth.test/jwks.json").mock(side_effect=httpx.ConnectError("refused"))
    app = make_app(None)

    async with served(app) as client:
        before = await client.get("/readyz")
        jwks.mock(side_effect=None, return_value=httpx.Response(200, json=signer.key.jwks()))
        after = await client.get("/readyz")
        ok = await client.get("/whoami", headers=signer.bearer(username="bob"))

    assert (before.status_code, before.json()["checks"]) == (503, {"signing_keys": "down"})
    assert (after.status_code, after.json()["checks"]) == (200, {"signing_keys": "up"})
    assert ok.json() == {"username": "bob"}


async def test_the_kernel_has_no_readiness_and_verifies_no_tokens() -> None:
    """``build_app``, the gateway's base: request ids, JSON errors, ``/healthz``; nothing else."""
    app = build_app(ServiceSettings(environment="test"), name="edge", description="test")
    async with served(app) as client:
        alive = await client.get("/healthz")
        ready = await client.get("/readyz")

    assert alive.json() == {"status": "ok"}
    assert len(alive.headers["X-Request-ID"]) == 32
    assert (ready.status_code, ready.json()) == (404, {"detail": "Not Found"})
    assert not hasattr(app.state, "token_verifier")


class Missing(DomainError):
    status = 404
    detail = "Thing not found"


@router.get("/domain/{kind}")
async def domain(kind: str) -> None:
    if kind == "subclass":
        raise Missing
    raise DomainError(409, "Taken", headers={"X-Why": "duplicate"})


async def test_domain_errors_answer_their_status_and_detail(client: httpx.AsyncClient) -> None:
    missing = await client.get("/domain/subclass")
    taken = await client.get("/domain/inline")

    assert (missing.status_code, missing.json()) == (404, {"detail": "Thing not found"})
    assert (taken.status_code, taken.json()) == (409, {"detail": "Taken"})
    assert taken.headers["X-Why"] == "duplicate"


@router.get("/domain-reason/{status}")
async def domain_reason(status: int) -> None:
    raise DomainError(status, "Upstream failed", reason="upstream said: secret internals")


@pytest.mark.parametrize(("status", "level"), [(502, "WARNING"), (409, "INFO")])
async def test_a_domain_errors_reason_is_logged_never_sent(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, status: int, level: str
) -> None:
    with caplog.at_level(logging.INFO, logger="inkwell_runtime.errors"):
        response = await client.get(f"/domain-reason/{status}")

    assert (response.status_code, response.json()) == (status, {"detail": "Upstream failed"})
    (record,) = [r for r in caplog.records if r.name == "inkwell_runtime.errors"]
    assert record.levelname == level
    assert "upstream said: secret internals" in record.getMessage()


@router.get("/state")
async def state(value: Annotated[str, Depends(state_dependency("greeting"))]) -> dict[str, str]:
    return {"value": value}


async def test_state_dependency_answers_what_is_on_app_state(signer: TestSigner) -> None:
    app = make_app(signer)
    app.state.greeting = "hello"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.get("/state")

    assert response.json() == {"value": "hello"}


def test_claims_helpers() -> None:
    claims = TokenClaims(
        sub="0b7c1a04-3c4e-4d7e-9a8e-2f4f1b1f2a11",
        username="a",
        roles=["x"],
        iat=0,
        exp=1,
        iss="i",
        aud="a",
    )

    assert str(claims.user_id) == "0b7c1a04-3c4e-4d7e-9a8e-2f4f1b1f2a11"
    assert claims.has_role("x") and not claims.has_role("admin")


@pytest.mark.parametrize(("page", "marker"), [("/docs", "SwaggerUIBundle"), ("/redoc", "<redoc")])
async def test_docs_pages_load_their_assets_from_the_service_itself(
    client: httpx.AsyncClient, page: str, marker: str
) -> None:
    html = (await client.get(page)).text
    assert marker in html
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert assets, html
    for asset in assets:
        assert asset.startswith("/"), f"{asset} would need the internet"
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 1000, asset


async def test_a_services_own_docs_ask_the_configured_token_url() -> None:
    """On a service's own port a relative tokenUrl would post the password to that service."""
    settings = ServiceSettings(
        environment="test", docs_token_url="http://gateway.test:8000/api/auth/token"
    )
    app = build_service_app(settings, name="docs-test", description="test", routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as client:
        first = (await client.get("/openapi.json")).json()
        again = (await client.get("/openapi.json")).json()

    schemes = first["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == (
        "http://gateway.test:8000/api/auth/token"
    )
    assert again == first
