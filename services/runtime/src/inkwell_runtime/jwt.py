"""RS256 tokens: one signing key (auth holds it) and verification against a key set.

Verification always names its algorithm list (RS256 only), so ``alg: none`` and
HS256-signed-with-the-public-key tokens are rejected before any signature check.
"""

import base64
import hashlib
import json
import uuid
from collections.abc import Iterable
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import JWTError, jwk
from jose import jwt as jose_jwt
from pydantic import ValidationError

from contracts.auth import TokenClaims
from inkwell_runtime import clock

ALGORITHM = "RS256"
ALGORITHMS = [ALGORITHM]


class InvalidToken(Exception):
    """The token is malformed, forged, expired, or not meant for us."""


class SigningKey:
    """An RSA private key with its key id and public JWK."""

    def __init__(self, private_pem: str, kid: str | None = None) -> None:
        self.private_pem = private_pem
        # Parsed once: loading (and validating) an RSA PEM costs ~100x a signature.
        self._private_key = jwk.construct(private_pem, ALGORITHM)
        public = self._private_key.public_key().to_dict()
        self.kid = kid or _thumbprint(public)
        self.public_jwk: dict[str, str] = {
            **public,
            "kid": self.kid,
            "use": "sig",
            "alg": ALGORITHM,
        }

    @classmethod
    def generate(cls, bits: int = 2048) -> "SigningKey":
        """A fresh key, for development and tests only (tokens die with the process)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return cls(pem)

    @property
    def public_pem(self) -> str:
        private = serialization.load_pem_private_key(self.private_pem.encode(), password=None)
        return (
            private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [self.public_jwk]}

    def sign(self, claims: dict[str, Any]) -> str:
        return jose_jwt.encode(
            claims, self._private_key, algorithm=ALGORITHM, headers={"kid": self.kid}
        )

    def issue(
        self,
        *,
        subject: uuid.UUID | str,
        username: str,
        roles: Iterable[str],
        issuer: str,
        audience: str,
        ttl_seconds: int,
        now: float | None = None,
        extra_claims: dict[str, Any] | None = None,
    ) -> str:
        issued = int(clock.seconds() if now is None else now)
        return self.sign(
            {
                **(extra_claims or {}),
                "sub": str(subject),
                "username": username,
                "roles": list(roles),
                "iat": issued,
                "exp": issued + ttl_seconds,
                "iss": issuer,
                "aud": audience,
            }
        )


def _thumbprint(public_jwk: dict[str, str]) -> str:
    """RFC 7638 thumbprint: a stable key id derived from the public key itself."""
    canonical = json.dumps({k: public_jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class KeySource(Protocol):
    """Where verification finds the public key for a ``kid``."""

    async def get_key(self, kid: str) -> dict[str, Any] | None: ...


class StaticKeySource:
    """A fixed key set (auth verifying its own tokens; tests)."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self._keys = {k["kid"]: k for k in jwks.get("keys", [])}

    async def get_key(self, kid: str) -> dict[str, Any] | None:
        return self._keys.get(kid)


REQUIRED = {
    "require_exp": True,
    "require_iat": True,
    "require_sub": True,
    "require_iss": True,
    "leeway": 0,
}
"""What every access token must carry (and no clock leeway), whoever issued it."""


class TokenVerifier:
    """Inkwell's own access tokens (auth's): ``aud`` and ``iss`` checked, RS256 only."""

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience

    async def verify(self, token: str) -> TokenClaims:
        key = await self._key_of(token)
        try:
            claims = self._decode(token, key)
        except JWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if claims["exp"] <= clock.seconds():
            raise InvalidToken("token expired")
        try:
            return TokenClaims.model_validate(self._contract(claims))
        except ValidationError as exc:
            raise InvalidToken("token claims do not match the contract") from exc

    async def _key_of(self, token: str) -> dict[str, Any]:
        """The trusted public key that must have signed ``token`` (its header checked first)."""
        try:
            header = jose_jwt.get_unverified_header(token)
        except JWTError as exc:
            raise InvalidToken("malformed token") from exc
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken(f"algorithm {header.get('alg')!r} not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("token has no key id")
        key = await self.keys.get_key(kid)
        if key is None:
            raise InvalidToken("unknown signing key")
        return key

    has_aud = True
    """Whether the tokens carry ``aud`` (checked against ``audience``)."""

    def _decode(self, token: str, key: dict[str, Any]) -> dict[str, Any]:
        aud = {"require_aud": True} if self.has_aud else {"verify_aud": False}
        claims: dict[str, Any] = jose_jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=self.audience if self.has_aud else None,
            issuer=self.issuer,
            options={**REQUIRED, **aud},
        )
        return claims

    def _contract(self, claims: dict[str, Any]) -> dict[str, Any]:
        return claims


class CognitoTokenVerifier(TokenVerifier):
    """Amazon Cognito access tokens, read as Inkwell's :class:`TokenClaims`.

    Cognito's access tokens carry no ``aud``: the app client is their ``client_id`` (checked
    against ``audience``, the app client id), and ``token_use`` must be ``access`` (an ID
    token, signed by the same key, is refused). ``iss`` is the pool's
    (``https://cognito-idp.<region>.amazonaws.com/<pool id>``); ``exp`` and ``nbf`` are
    checked, RS256 only, as for Inkwell's own tokens. Roles are the ``cognito:groups``; the
    login session (``sid``) is ``origin_jti``, the id of the refresh token the access token
    came from (what auth's sessions and revocation feed are keyed on).
    """

    has_aud = False  # Cognito's access tokens: client_id is checked instead

    def _decode(self, token: str, key: dict[str, Any]) -> dict[str, Any]:
        claims = super()._decode(token, key)
        if claims.get("token_use") != "access":
            raise InvalidToken(f"token_use {claims.get('token_use')!r} is not 'access'")
        if claims.get("client_id") != self.audience:
            raise InvalidToken("token issued to another app client")
        return claims

    def _contract(self, claims: dict[str, Any]) -> dict[str, Any]:
        return {
            "sub": claims["sub"],
            "username": claims.get("username"),
            "roles": claims.get("cognito:groups", []),
            "iat": claims["iat"],
            "exp": claims["exp"],
            "iss": claims["iss"],
            "aud": claims["client_id"],
            "sid": claims.get("origin_jti"),
        }
