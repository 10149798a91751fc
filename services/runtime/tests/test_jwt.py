import time
from collections.abc import Callable

import pytest
import time_machine

from inkwell_runtime.jwt import InvalidToken, SigningKey
from inkwell_testing.tokens import TestSigner

pytestmark = pytest.mark.anyio


def test_key_id_is_the_rfc7638_thumbprint_and_stable(signer: TestSigner) -> None:
    again = SigningKey(signer.key.private_pem)

    assert again.kid == signer.key.kid
    assert len(signer.key.kid) == 43  # base64url of a SHA-256
    assert SigningKey(signer.key.private_pem, kid="rotated-2026").kid == "rotated-2026"


def test_jwks_has_only_public_members(signer: TestSigner) -> None:
    (key,) = signer.key.jwks()["keys"]

    assert set(key) == {"kty", "n", "e", "alg", "kid", "use"}
    assert "PUBLIC KEY" in signer.key.public_pem


async def test_issued_token_verifies_to_its_claims(signer: TestSigner) -> None:
    token = signer.key.issue(
        subject="0b7c1a04-3c4e-4d7e-9a8e-2f4f1b1f2a11",
        username="alice",
        roles=["user", "admin"],
        issuer="inkwell-auth",
        audience="inkwell",
        ttl_seconds=60,
    )

    claims = await signer.verifier().verify(token)

    assert str(claims.sub) == "0b7c1a04-3c4e-4d7e-9a8e-2f4f1b1f2a11"
    assert claims.has_role("admin")
    assert claims.exp - claims.iat == 60


ATTACKS = {
    "malformed": lambda s: "abc",
    "alg none": lambda s: s.alg_none(),
    "hs256 confusion": lambda s: s.hs256_with_public_key(),
    "expired": lambda s: s.expired(),
    "foreign signature": lambda s: s.foreign(),
    "unknown kid": lambda s: s.foreign_key.sign(s.claims()),
    "wrong audience": lambda s: s.token(aud="other"),
    "wrong issuer": lambda s: s.token(iss="other"),
    "missing exp": lambda s: s.key.sign({k: v for k, v in s.claims().items() if k != "exp"}),
    "missing sub": lambda s: s.key.sign({k: v for k, v in s.claims().items() if k != "sub"}),
    "roles not a list": lambda s: s.key.sign({**s.claims(), "roles": "admin"}),
}


@pytest.mark.parametrize("make", ATTACKS.values(), ids=ATTACKS.keys())
async def test_verifier_rejects(signer: TestSigner, make: Callable[[TestSigner], str]) -> None:
    with pytest.raises(InvalidToken):
        await signer.verifier().verify(make(signer))


async def test_token_without_kid_is_rejected(signer: TestSigner) -> None:
    from jose import jwt

    token = jwt.encode(signer.claims(), signer.key.private_pem, algorithm="RS256")

    with pytest.raises(InvalidToken, match="no key id"):
        await signer.verifier().verify(token)


async def test_expiry_is_judged_by_the_clock(signer: TestSigner) -> None:
    token = signer.token(ttl=60)

    assert (await signer.verifier().verify(token)).username == "alice"
    with time_machine.travel(time.time() + 61), pytest.raises(InvalidToken, match="expired"):
        await signer.verifier().verify(token)
