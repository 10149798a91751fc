"""The auth check every service uses: FastAPI dependencies over :class:`TokenVerifier`.

Services put a verifier on ``app.state.token_verifier`` (see :mod:`inkwell_runtime.app`);
routes depend on :data:`CurrentClaims` (or :func:`require_role`). Tests either override
:func:`get_current_claims` with ``app.dependency_overrides`` or send real tokens.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated

import httpx
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from contracts.auth import TokenClaims
from inkwell_runtime.errors import ServiceUnavailable
from inkwell_runtime.jwt import InvalidToken, TokenVerifier
from inkwell_runtime.observe import USER_ID_KEY

logger = logging.getLogger(__name__)

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)

NOT_AUTHENTICATED = "Not authenticated"
INVALID_CREDENTIALS = "Could not validate credentials"
FORBIDDEN = "Not enough permissions"


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def get_token_verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier


async def get_current_claims(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    verifier: Annotated[TokenVerifier, Depends(get_token_verifier)],
) -> TokenClaims:
    if not token:
        raise _unauthorized(NOT_AUTHENTICATED)
    try:
        claims = await verifier.verify(token)
    except InvalidToken as exc:
        logger.info("rejected token: %s", exc)
        raise _unauthorized(INVALID_CREDENTIALS) from exc
    except httpx.HTTPError as exc:
        raise ServiceUnavailable("Auth service unavailable: cannot fetch signing keys") from exc
    revoked = getattr(request.app.state, "revocations", None)  # inkwell_runtime.revocations
    if revoked is not None and revoked.refuses(claims):
        raise _unauthorized(INVALID_CREDENTIALS)
    request.scope[USER_ID_KEY] = str(claims.sub)  # for the access log line (observe.py)
    return claims


CurrentClaims = Annotated[TokenClaims, Depends(get_current_claims)]


def get_bearer_token(token: Annotated[str | None, Depends(oauth2_scheme)]) -> str:
    """The caller's raw token, for forwarding to another service on their behalf."""
    if not token:
        raise _unauthorized(NOT_AUTHENTICATED)
    return token


def require_role(role: str) -> Callable[[TokenClaims], Awaitable[TokenClaims]]:
    """A dependency that lets through only callers holding ``role``."""

    async def check(claims: CurrentClaims) -> TokenClaims:
        if not claims.has_role(role):
            raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=FORBIDDEN)
        return claims

    return check
