"""Real RS256 tokens for tests, signed by a test key whose JWKS a service can be pointed at."""

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jose import jwt as jose_jwt

from inkwell_runtime.jwt import SigningKey, StaticKeySource, TokenVerifier

TEST_ISSUER = "inkwell-auth"
TEST_AUDIENCE = "inkwell"


@dataclass
class TestSigner:
    """Issues tokens the way auth does, plus the malformed ones attackers send."""

    __test__ = False  # not a test class, despite the name

    key: SigningKey
    issuer: str = TEST_ISSUER
    audience: str = TEST_AUDIENCE
    foreign_key: SigningKey = field(default_factory=lambda: SigningKey.generate())

    def verifier(self) -> TokenVerifier:
        return TokenVerifier(
            StaticKeySource(self.key.jwks()), issuer=self.issuer, audience=self.audience
        )

    def claims(
        self,
        user_id: uuid.UUID | None = None,
        username: str = "alice",
        roles: Iterable[str] = ("user",),
        ttl: int = 900,
        **overrides: Any,
    ) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": str(user_id or uuid.uuid4()),
            "username": username,
            "roles": list(roles),
            "iat": now,
            "exp": now + ttl,
            "iss": self.issuer,
            "aud": self.audience,
        }
        claims.update(overrides)
        return claims

    def token(self, **kwargs: Any) -> str:
        return self.key.sign(self.claims(**kwargs))

    def expired(self, **kwargs: Any) -> str:
        return self.token(iat=int(time.time()) - 3600, exp=int(time.time()) - 60, **kwargs)

    def foreign(self, **kwargs: Any) -> str:
        """Signed by a key the service does not trust (but claiming the trusted ``kid``)."""
        return jose_jwt.encode(
            self.claims(**kwargs),
            self.foreign_key.private_pem,
            algorithm="RS256",
            headers={"kid": self.key.kid},
        )

    def alg_none(self, **kwargs: Any) -> str:
        import base64
        import json

        def b64(obj: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

        header = b64({"alg": "none", "typ": "JWT", "kid": self.key.kid})
        return f"{header}.{b64(self.claims(**kwargs))}."

    def hs256_with_public_key(self, **kwargs: Any) -> str:
        """The algorithm-confusion attack: HMAC keyed with the (public) RSA key."""
        import base64
        import hashlib
        import hmac
        import json

        def b64(raw: bytes) -> str:
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": self.key.kid}).encode())
        payload = b64(json.dumps(self.claims(**kwargs)).encode())
        signing_input = f"{header}.{payload}".encode()
        signature = hmac.new(self.key.public_pem.encode(), signing_input, hashlib.sha256).digest()
        return f"{header}.{payload}.{b64(signature)}"

    def bearer(self, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**kwargs)}"}
