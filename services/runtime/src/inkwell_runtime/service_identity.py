"""Service-to-service calls: a token that names a service, never a user.

Auth signs service tokens with its usual key, but for another audience
(:data:`SERVICE_AUDIENCE`) and with a ``sub`` of ``service:<name>``: a user's access token
(audience ``inkwell``) is refused where a service token is required, and a service token is
refused where a user's is (its audience is not ``inkwell``). Receiving services verify it
against auth's JWKS: ``app.state.service_verifier`` when the app has one (with
``AUTH_PROVIDER=cognito`` users' tokens come from Cognito, service tokens still from auth),
else ``app.state.token_verifier``.

Internal routes (``/internal/...``) depend on :func:`require_service`; the gateway routes no
such path, so only callers inside the network reach them at all.
"""

import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from jose import JWTError
from jose import jwt as jose_jwt

from inkwell_runtime.auth import get_bearer_token
from inkwell_runtime.jwt import ALGORITHMS, SigningKey, TokenVerifier

SERVICE_AUDIENCE = "inkwell-internal"
SERVICE_PREFIX = "service:"
SERVICE_TOKEN_TTL_SECONDS = 60


def issue_service_token(
    key: SigningKey, *, service: str, issuer: str, ttl_seconds: int = SERVICE_TOKEN_TTL_SECONDS
) -> str:
    now = int(time.time())
    return key.sign(
        {
            "sub": f"{SERVICE_PREFIX}{service}",
            "iat": now,
            "exp": now + ttl_seconds,
            "iss": issuer,
            "aud": SERVICE_AUDIENCE,
        }
    )


async def verify_service_token(verifier: TokenVerifier, token: str) -> str:
    """The calling service's name; :class:`ValueError` when the token is not a valid one."""
    try:
        header = jose_jwt.get_unverified_header(token)
    except JWTError as exc:
        raise ValueError("malformed token") from exc
    kid = header.get("kid")
    if header.get("alg") not in ALGORITHMS or not isinstance(kid, str):
        raise ValueError("algorithm or key id not allowed")
    key = await verifier.keys.get_key(kid)
    if key is None:
        raise ValueError("unknown signing key")
    try:
        claims: dict[str, Any] = jose_jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=SERVICE_AUDIENCE,
            issuer=verifier.issuer,
            options={"require_exp": True, "require_sub": True, "leeway": 0},
        )
    except JWTError as exc:
        raise ValueError(str(exc)) from exc
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject.startswith(SERVICE_PREFIX):
        raise ValueError("not a service token")
    return subject.removeprefix(SERVICE_PREFIX)


def require_service(*allowed: str) -> Callable[..., Awaitable[str]]:
    """A dependency that lets through only the named services (401 otherwise)."""

    async def check(request: Request, token: Annotated[str, Depends(get_bearer_token)]) -> str:
        state = request.app.state
        verifier: TokenVerifier = getattr(state, "service_verifier", None) or state.token_verifier
        try:
            service = await verify_service_token(verifier, token)
        except ValueError as exc:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "A service token is required",
                headers={"WWW-Authenticate": "Bearer"},
            ) from exc
        if service not in allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "This service may not call this")
        return service

    return check
