"""Who holds the passwords: auth itself (:class:`LocalProvider`) or Amazon Cognito
(:class:`auth_service.cognito.CognitoProvider`), behind one small interface.

Routes call an :class:`IdentityProvider` (``api.deps.get_identity_provider``, chosen by
``AUTH_PROVIDER``) and answer the same statuses and shapes whichever it is. What both share stays
in auth: the profile row (``users``), login sessions (``sessions``: refresh-token families,
rotation, reuse detection, the revocation feed), the per-account login throttle, reset links.
"""

from collections.abc import Iterable
from datetime import timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import accounts, sessions
from auth_service.core.config import AuthSettings
from auth_service.models import User
from auth_service.passwords import PasswordHasher
from auth_service.schemas import UserCreate
from contracts.auth import TokenResponse
from inkwell_runtime.jwt import SigningKey


class IdentityProvider(Protocol):
    async def register(self, session: AsyncSession, data: UserCreate) -> User:
        """A new account (409 taken, 422 refused password)."""
        ...

    async def log_in(
        self, session: AsyncSession, login: str, password: str
    ) -> TokenResponse | None:
        """A token pair for ``login`` (username or email); None: wrong username or password."""
        ...

    async def refresh(self, session: AsyncSession, refresh_token: str) -> TokenResponse:
        """The next pair; :class:`sessions.InvalidRefreshToken` when the token is no good."""
        ...

    async def log_out(self, session: AsyncSession, refresh_token: str) -> None: ...

    async def reset_password(self, session: AsyncSession, token: str, new_password: str) -> bool:
        """Use a reset link's token (see :func:`accounts.claim_reset`); False: no good."""
        ...

    async def check_password(self, user: User, password: str) -> bool: ...

    async def delete(self, session: AsyncSession, user: User, services: Iterable[str]) -> None: ...


def admin_emails(settings: AuthSettings) -> frozenset[str]:
    return frozenset(accounts.normalize_email(e) for e in settings.bootstrap_admin_emails)


def refresh_ttl(settings: AuthSettings) -> timedelta:
    return timedelta(days=settings.refresh_token_expire_days)


class LocalProvider:
    """Auth's own password store (Argon2 hashes) and its own RS256 access tokens."""

    def __init__(self, settings: AuthSettings, hasher: PasswordHasher, signer: SigningKey) -> None:
        self.settings = settings
        self.hasher = hasher
        self.signer = signer

    def _token_pair(self, issued: sessions.Issued) -> TokenResponse:
        ttl = self.settings.access_token_expire_minutes * 60
        user = issued.user
        token = self.signer.issue(
            subject=user.id,
            username=user.username,
            roles=user.roles,
            issuer=self.settings.jwt_issuer,
            audience=self.settings.jwt_audience,
            ttl_seconds=ttl,
            extra_claims={"sid": str(issued.family_id)},
        )
        return TokenResponse(access_token=token, expires_in=ttl, refresh_token=issued.refresh_token)

    async def register(self, session: AsyncSession, data: UserCreate) -> User:
        return await accounts.register(session, data, self.hasher, admin_emails(self.settings))

    async def log_in(
        self, session: AsyncSession, login: str, password: str
    ) -> TokenResponse | None:
        user = await accounts.authenticate(session, login, password, self.hasher)
        if user is None:
            return None
        return self._token_pair(await sessions.start(session, user, refresh_ttl(self.settings)))

    async def refresh(self, session: AsyncSession, refresh_token: str) -> TokenResponse:
        issued = await sessions.rotate(session, refresh_token, refresh_ttl(self.settings))
        return self._token_pair(issued)

    async def log_out(self, session: AsyncSession, refresh_token: str) -> None:
        await sessions.logout(session, refresh_token)

    async def reset_password(self, session: AsyncSession, token: str, new_password: str) -> bool:
        return await accounts.reset_password(session, token, new_password, self.hasher)

    async def check_password(self, user: User, password: str) -> bool:
        return await self.hasher.verify(password, user.hashed_password)

    async def delete(self, session: AsyncSession, user: User, services: Iterable[str]) -> None:
        await accounts.delete_account(session, user, services)
