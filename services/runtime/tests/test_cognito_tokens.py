"""Amazon Cognito access tokens (``AUTH_PROVIDER=cognito``): the same verifier code, Cognito's
claims. Tokens here are shaped as Cognito (and moto) issue them, signed by a test key standing in
for the pool's; the auth suite verifies real ones from moto's Cognito."""

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import respx
from fastapi import APIRouter, Depends
from jose import jwt as jose_jwt

from inkwell_runtime.app import build_service_app
from inkwell_runtime.auth import CurrentClaims
from inkwell_runtime.jwt import CognitoTokenVerifier, InvalidToken, SigningKey, StaticKeySource
from inkwell_runtime.service_identity import issue_service_token, require_service
from inkwell_runtime.settings import ServiceSettings
from inkwell_testing.apps import served
from inkwell_testing.tokens import TestSigner

pytestmark = pytest.mark.anyio

POOL = "eu-west-1_TestPool"
ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"
CLIENT_ID = "inkwellwebclient"
POOL_KEY = SigningKey.generate(bits=1024)
OTHER_KEY = SigningKey.generate(bits=1024)


def cognito_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": str(uuid.uuid4()),
        "client_id": CLIENT_ID,
        "token_use": "access",
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
        "jti": str(uuid.uuid4()),
        "origin_jti": str(uuid.uuid4()),
        "username": "alice",
        "scope": "aws.cognito.signin.user.admin",
        "cognito:groups": ["admin"],
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def verifier() -> CognitoTokenVerifier:
    return CognitoTokenVerifier(StaticKeySource(POOL_KEY.jwks()), issuer=ISSUER, audience=CLIENT_ID)


async def test_an_access_token_reads_as_inkwell_claims() -> None:
    raw = cognito_claims()

    claims = await verifier().verify(POOL_KEY.sign(raw))

    assert str(claims.sub) == raw["sub"]
    assert claims.username == "alice"
    assert claims.roles == ["admin"] and claims.has_role("admin")
    assert claims.aud == CLIENT_ID
    assert str(claims.sid) == raw["origin_jti"]
    assert claims.iss == ISSUER


async def test_a_user_in_no_group_has_no_role() -> None:
    claims = await verifier().verify(POOL_KEY.sign(cognito_claims(**{"cognito:groups": None})))

    assert claims.roles == []
    assert not claims.has_role("admin")


def forged(claims: dict[str, Any]) -> str:
    """Signed by another key, claiming the pool key's ``kid``."""
    return jose_jwt.encode(claims, OTHER_KEY.private_pem, "RS256", headers={"kid": POOL_KEY.kid})


REFUSED: dict[str, Callable[[], str]] = {
    "forged signature": lambda: forged(cognito_claims()),
    "unknown kid": lambda: OTHER_KEY.sign(cognito_claims()),
    "expired": lambda: POOL_KEY.sign(
        cognito_claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 60)
    ),
    "not yet valid": lambda: POOL_KEY.sign(cognito_claims(nbf=int(time.time()) + 600)),
    "id token": lambda: POOL_KEY.sign(cognito_claims(token_use="id")),
    "no token_use": lambda: POOL_KEY.sign(cognito_claims(token_use=None)),
    "another app client": lambda: POOL_KEY.sign(cognito_claims(client_id="someoneelse")),
    "no client_id": lambda: POOL_KEY.sign(cognito_claims(client_id=None)),
    "another pool": lambda: POOL_KEY.sign(
        cognito_claims(iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other")
    ),
    "no exp": lambda: POOL_KEY.sign(cognito_claims(exp=None)),
    "alg none": lambda: _unsigned(cognito_claims()),
    "sub not a uuid": lambda: POOL_KEY.sign(cognito_claims(sub="alice")),
}


def _unsigned(claims: dict[str, Any]) -> str:
    import base64
    import json

    def b64(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'kid': POOL_KEY.kid})}.{b64(claims)}."


@pytest.mark.parametrize("make", REFUSED.values(), ids=REFUSED.keys())
async def test_refused(make: Callable[[], str]) -> None:
    with pytest.raises(InvalidToken):
        await verifier().verify(make())


async def test_expiry_is_judged_by_the_clock() -> None:
    import time_machine

    token = POOL_KEY.sign(cognito_claims(exp=int(time.time()) + 60))

    assert (await verifier().verify(token)).username == "alice"
    with time_machine.travel(time.time() + 61), pytest.raises(InvalidToken, match="expired"):
        await verifier().verify(token)


def test_cognito_settings_name_the_pool_and_its_keys() -> None:
    settings = ServiceSettings(
        auth_provider="cognito",
        cognito_region="eu-west-1",
        cognito_user_pool_id=POOL,
        cognito_client_id=CLIENT_ID,
    )

    assert settings.cognito_token_issuer == ISSUER
    assert settings.cognito_keys_url == f"{ISSUER}/.well-known/jwks.json"
    with pytest.raises(ValueError, match="COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID"):
        ServiceSettings(auth_provider="cognito")


router = APIRouter()


@router.get("/whoami")
async def whoami(claims: CurrentClaims) -> dict[str, Any]:
    return {"username": claims.username, "roles": claims.roles}


@router.delete("/internal/users/{user_id}", status_code=204)
async def erase(user_id: str, caller: str = Depends(require_service("auth"))) -> None: ...


@respx.mock
async def test_a_service_with_cognito_verifies_pool_tokens_and_auths_service_tokens(
    signer: TestSigner,
) -> None:
    """Users' tokens against the pool's JWKS; service tokens still against auth's."""
    pool_jwks = respx.get("http://cognito.test/pool/jwks.json").respond(json=POOL_KEY.jwks())
    respx.get("http://auth.test/jwks.json").respond(json=signer.key.jwks())
    settings = ServiceSettings(
        environment="test",
        auth_jwks_url="http://auth.test/jwks.json",
        auth_provider="cognito",
        cognito_region="eu-west-1",
        cognito_user_pool_id=POOL,
        cognito_client_id=CLIENT_ID,
        cognito_jwks_url="http://cognito.test/pool/jwks.json",
    )
    app = build_service_app(settings, name="svc", description="", routers=[router])

    async with served(app) as client:
        pool_user = await client.get(
            "/whoami", headers={"Authorization": f"Bearer {POOL_KEY.sign(cognito_claims())}"}
        )
        local_user = await client.get("/whoami", headers=signer.bearer())
        service = issue_service_token(signer.key, service="auth", issuer=signer.issuer)
        erased = await client.delete(
            f"/internal/users/{uuid.uuid4()}", headers={"Authorization": f"Bearer {service}"}
        )

    assert pool_user.json() == {"username": "alice", "roles": ["admin"]}
    assert local_user.status_code == 401  # auth's user tokens are not Cognito's
    assert erased.status_code == 204
    assert pool_jwks.called
