"""Amazon Cognito as the identity provider (``AUTH_PROVIDER=cognito``), through aioboto3.

Cognito keeps the passwords and signs the access tokens (every service verifies them against the
pool's JWKS: ``inkwell_runtime.jwt.CognitoTokenVerifier``). Auth keeps what Cognito does not: the
profile row (``users``: id = Cognito's ``sub``, username, email, roles, created date; its
``hashed_password`` holds :data:`COGNITO_MANAGED`, never a hash) and Inkwell's login sessions.

- Register: ``SignUp``, then ``AdminConfirmSignUp`` (``COGNITO_CONFIRM=admin``) or the code
  Cognito mails (``code``: ``POST /api/auth/confirm``); ``BOOTSTRAP_ADMIN_EMAILS`` join
  ``COGNITO_ADMIN_GROUP`` (``AdminAddUserToGroup``).
- Log in: ``InitiateAuth`` ``USER_PASSWORD_AUTH``. The access token is Cognito's; the refresh token
  handed out is one of Inkwell's single-use ones, in a family whose id is Cognito's
  ``origin_jti`` (the ``sid`` the verifier reads), so rotation, reuse detection, logout and the
  revocation feed work as with the local provider. Cognito's own refresh token (which Cognito
  does not rotate; ``REFRESH_TOKEN_AUTH`` buys each new access token) stays in auth's database,
  encrypted under the Inkwell token of each row (``sessions.seal``): only the holder opens it.
- Log out / a replayed refresh token: the family is revoked, and Cognito's ``RevokeToken`` ends
  Cognito's refresh token too (``COGNITO_REVOKE_TOKENS``).
- Password reset: Inkwell's own link and single-use token, mailed by auth as with the local
  provider; the new password is set with ``AdminSetUserPassword`` and every Cognito session is
  ended (``AdminUserGlobalSignOut``). Cognito's ``ForgotPassword`` / ``ConfirmForgotPassword`` are
  not used: Cognito mails a bare code to the user itself, which the link-and-token API cannot
  carry without a custom-message Lambda, and moto never sends it.
- Account deletion: the password checked with ``InitiateAuth``, then ``AdminDeleteUser``.

Cognito's errors are answered as the local provider's: wrong password 401, taken 409, refused
password 422, throttled 429, unreachable or misconfigured 503; never a raw botocore error.
"""

import base64
import hashlib
import hmac
import logging
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aioboto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from fastapi.exceptions import RequestValidationError
from jose import jwt as jose_jwt
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import accounts, sessions
from auth_service.core.config import AuthSettings
from auth_service.models import User
from auth_service.providers import admin_emails, refresh_ttl
from auth_service.schemas import UserCreate
from contracts.auth import TokenResponse
from inkwell_runtime.errors import DomainError, ServiceUnavailable

logger = logging.getLogger(__name__)

COGNITO_MANAGED = "!cognito"
"""``users.hashed_password`` of an account whose password Cognito keeps (no hash verifies it)."""

UNAVAILABLE = "Identity provider unavailable"
THROTTLED = "Too many requests to the identity provider; try again later"
REFUSED_BY_POOL = "Password refused by the user pool's password policy"

WRONG_CREDENTIALS = {"NotAuthorizedException", "UserNotFoundException"}
THROTTLING = {
    "TooManyRequestsException",
    "LimitExceededException",
    "TooManyFailedAttemptsException",
}


class Throttled(DomainError):
    status = 429
    detail = THROTTLED
    headers = {"Retry-After": "1"}


class NotConfirmed(DomainError):
    status = 403
    detail = "Account not confirmed: confirm it with the code sent by email"


class NoEmail(DomainError):
    status = 403
    detail = "This account has no email address in the user pool; Inkwell needs one"


class InvalidCode(DomainError):
    status = 400
    detail = "Invalid or expired confirmation code"


def _password_refused(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("body", field), "msg": message}])


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_in: int
    refresh_token: str | None

    def claim(self, name: str) -> Any:
        """A claim of the access token, read unverified: it came from Cognito itself, over TLS."""
        return jose_jwt.get_unverified_claims(self.access_token).get(name)


class CognitoPool:
    """The calls auth makes to one user pool through one app client, errors mapped."""

    def __init__(self, client: Any, settings: AuthSettings) -> None:
        self.client = client
        self.pool_id = str(settings.cognito_user_pool_id)
        self.client_id = str(settings.cognito_client_id)
        secret = settings.cognito_client_secret
        self._secret = secret.get_secret_value() if secret is not None else None

    def _secret_hash(self, username: str) -> dict[str, str]:
        if self._secret is None:
            return {}
        mac = hmac.new(self._secret.encode(), (username + self.client_id).encode(), hashlib.sha256)
        return {"SecretHash": base64.b64encode(mac.digest()).decode()}

    async def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call Cognito; throttling → 429, unreachable or any unexpected error → 503. Errors the
        caller maps itself (wrong password, taken...) are re-raised as :class:`ClientError`."""
        try:
            result: dict[str, Any] = await getattr(self.client, operation)(**params)
        except ClientError as exc:
            code = _code(exc)
            if code in THROTTLING:
                raise Throttled(reason=f"{operation}: {code}") from exc
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500)
            if status >= 500 or code in {"ResourceNotFoundException", "InvalidParameterException"}:
                raise ServiceUnavailable(UNAVAILABLE, reason=f"{operation}: {code}") from exc
            raise
        except BotoCoreError as exc:  # unreachable, timed out, no credentials
            raise ServiceUnavailable(UNAVAILABLE, reason=f"{operation}: {exc}") from exc
        return result

    async def sign_up(self, username: str, password: str, email: str) -> uuid.UUID:
        try:
            answer = await self._call(
                "sign_up",
                ClientId=self.client_id,
                Username=username,
                Password=password,
                UserAttributes=[{"Name": "email", "Value": email}],
                **self._secret_hash(username),
            )
        except ClientError as exc:
            code = _code(exc)
            if code == "UsernameExistsException":
                raise accounts.UsernameTaken from exc
            if code == "AliasExistsException":
                raise accounts.EmailTaken from exc
            if code in {"InvalidPasswordException"}:
                raise _password_refused("password", REFUSED_BY_POOL) from exc
            raise ServiceUnavailable(UNAVAILABLE, reason=f"sign_up: {code}") from exc
        return uuid.UUID(answer["UserSub"])

    async def admin(self, operation: str, username: str, **params: Any) -> None:
        """An ``Admin*`` call on ``username`` (IAM credentials); any refusal is a 503."""
        try:
            await self._call(operation, UserPoolId=self.pool_id, Username=username, **params)
        except ClientError as exc:
            if operation == "admin_set_user_password" and _code(exc) == "InvalidPasswordException":
                raise _password_refused("new_password", REFUSED_BY_POOL) from exc
            raise ServiceUnavailable(UNAVAILABLE, reason=f"{operation}: {_code(exc)}") from exc

    async def confirm(self, username: str, code: str) -> None:
        try:
            await self._call(
                "confirm_sign_up",
                ClientId=self.client_id,
                Username=username,
                ConfirmationCode=code,
                **self._secret_hash(username),
            )
        except ClientError as exc:
            raise InvalidCode from exc

    async def _initiate(self, flow: str, username: str, **parameters: str) -> dict[str, Any]:
        secret_hash = self._secret_hash(username)
        if secret_hash:  # InitiateAuth spells it SECRET_HASH
            parameters["SECRET_HASH"] = secret_hash["SecretHash"]
        return await self._call(
            "initiate_auth", ClientId=self.client_id, AuthFlow=flow, AuthParameters=parameters
        )

    async def password_auth(self, username: str, password: str) -> Tokens | None:
        """Cognito's tokens for this username and password; None when they are wrong."""
        try:
            answer = await self._initiate(
                "USER_PASSWORD_AUTH", username, USERNAME=username, PASSWORD=password
            )
        except ClientError as exc:
            code = _code(exc)
            if code in WRONG_CREDENTIALS:
                return None
            if code == "UserNotConfirmedException":
                raise NotConfirmed from exc
            raise ServiceUnavailable(UNAVAILABLE, reason=f"initiate_auth: {code}") from exc
        return _tokens(answer, username)

    async def refresh(self, refresh_token: str, username: str) -> Tokens | None:
        """New Cognito tokens; None when Cognito refuses the refresh token (revoked, expired)."""
        try:
            answer = await self._initiate(
                "REFRESH_TOKEN_AUTH", username, REFRESH_TOKEN=refresh_token
            )
        except ClientError as exc:
            if _code(exc) in WRONG_CREDENTIALS:
                return None
            raise ServiceUnavailable(UNAVAILABLE, reason=f"refresh: {_code(exc)}") from exc
        return _tokens(answer, username)

    async def revoke(self, refresh_token: str) -> None:
        """End a Cognito refresh token (and the access tokens it issued) at Cognito."""
        params = {"Token": refresh_token, "ClientId": self.client_id}
        if self._secret is not None:
            params["ClientSecret"] = self._secret
        try:
            await self._call("revoke_token", **params)
        except ClientError as exc:  # already revoked or unknown: nothing left to end
            logger.info("RevokeToken refused: %s", _code(exc))

    async def email_of(self, access_token: str) -> str | None:
        answer = await self._call("get_user", AccessToken=access_token)
        found = {a["Name"]: a["Value"] for a in answer.get("UserAttributes", [])}
        return found.get("email")


def _tokens(answer: dict[str, Any], username: str) -> Tokens:
    result = answer.get("AuthenticationResult")
    if result is None:  # a challenge (MFA, NEW_PASSWORD_REQUIRED): not offered by this API
        raise ServiceUnavailable(
            "This account needs a sign-in step Inkwell does not offer "
            f"({answer.get('ChallengeName')})",
            reason=f"challenge for {username}",
        )
    return Tokens(result["AccessToken"], int(result["ExpiresIn"]), result.get("RefreshToken"))


@asynccontextmanager
async def open_pool(settings: AuthSettings) -> AsyncIterator[CognitoPool]:
    """One pooled Cognito client for the process's lifetime."""
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(
            aioboto3.Session().client(
                "cognito-idp",
                region_name=settings.cognito_region,
                endpoint_url=settings.cognito_endpoint_url or None,  # "" (compose): AWS's
                config=Config(
                    connect_timeout=3,
                    read_timeout=5,
                    retries={"mode": "standard", "max_attempts": 2},
                ),
            )
        )
        yield CognitoPool(client, settings)


class CognitoProvider:
    def __init__(self, settings: AuthSettings, pool: CognitoPool) -> None:
        self.settings = settings
        self.pool = pool

    async def register(self, session: AsyncSession, data: UserCreate) -> User:
        email = accounts.normalize_email(data.email)
        await accounts.ensure_free(session, email, data.username)
        sub = await self.pool.sign_up(data.username, data.password, email)
        roles = ["user"]
        try:
            if self.settings.cognito_confirm == "admin":
                await self.pool.admin("admin_confirm_sign_up", data.username)
            if email in admin_emails(self.settings):
                group = self.settings.cognito_admin_group
                await self.pool.admin("admin_add_user_to_group", data.username, GroupName=group)
                roles.append("admin")
            user = User(
                id=sub,
                username=data.username,
                email=email,
                hashed_password=COGNITO_MANAGED,
                roles=roles,
            )
            await accounts.save_new(session, user)
        except DomainError:  # half made (a race lost here, Cognito failing): Cognito keeps nothing
            await self.pool.admin("admin_delete_user", data.username)
            raise
        return user

    async def confirm(self, username: str, code: str) -> None:
        await self.pool.confirm(username, code)

    async def log_in(
        self, session: AsyncSession, login: str, password: str
    ) -> TokenResponse | None:
        user = await accounts.find_by_login(session, login)
        tokens = await self.pool.password_auth(user.username if user else login.strip(), password)
        if tokens is None or tokens.refresh_token is None:
            return None
        sub = uuid.UUID(tokens.claim("sub"))
        if user is None:
            user = await self._adopt(session, sub, tokens)
        elif user.id != sub:
            logger.warning("profile %s does not match Cognito's sub %s: refused", user.id, sub)
            return None
        family = uuid.UUID(tokens.claim("origin_jti"))
        issued = await sessions.start(
            session,
            user,
            refresh_ttl(self.settings),
            family_id=family,
            upstream=tokens.refresh_token,
        )
        return self._pair(tokens, issued.refresh_token)

    async def _adopt(self, session: AsyncSession, sub: uuid.UUID, tokens: Tokens) -> User:
        """The profile of a pool user who never registered through Inkwell (first login)."""
        email = await self.pool.email_of(tokens.access_token)
        if email is None:
            raise NoEmail
        groups = tokens.claim("cognito:groups") or []
        admin = self.settings.cognito_admin_group in groups
        user = User(
            id=sub,
            username=str(tokens.claim("username")),
            email=accounts.normalize_email(email),
            hashed_password=COGNITO_MANAGED,
            roles=["user", "admin"] if admin else ["user"],
        )
        await accounts.save_new(session, user)
        return user

    @staticmethod
    def _pair(tokens: Tokens, refresh_token: str) -> TokenResponse:
        return TokenResponse(
            access_token=tokens.access_token,
            expires_in=tokens.expires_in,
            refresh_token=refresh_token,
        )

    async def refresh(self, session: AsyncSession, refresh_token: str) -> TokenResponse:
        held = await sessions.peek(session, refresh_token)
        if held is None or held.upstream is None:
            raise sessions.InvalidRefreshToken
        # Cognito first: when it is down (503) Inkwell's token is not spent.
        tokens = await self.pool.refresh(held.upstream, held.user.username)
        if tokens is None:  # Cognito ended it (a global sign-out, an admin): so does Inkwell
            await sessions.revoke_family(session, held.family_id)
            raise sessions.InvalidRefreshToken
        try:
            issued = await sessions.rotate(session, refresh_token, refresh_ttl(self.settings))
        except sessions.InvalidRefreshToken:  # replayed: the family is revoked, end Cognito's too
            await self._revoke(held.upstream)
            raise
        return self._pair(tokens, issued.refresh_token)

    async def _revoke(self, cognito_refresh: str) -> None:
        if self.settings.cognito_revoke_tokens:
            await self.pool.revoke(cognito_refresh)

    async def log_out(self, session: AsyncSession, refresh_token: str) -> None:
        held = await sessions.peek(session, refresh_token)
        if held is None:
            return  # unknown or already ended: nothing to end, at Cognito either
        await sessions.revoke_family(session, held.family_id)
        if held.upstream is not None:
            await self._revoke(held.upstream)

    async def reset_password(self, session: AsyncSession, token: str, new_password: str) -> bool:
        user = await accounts.claim_reset(session, token, new_password)
        if user is None:
            return False
        try:
            await self.pool.admin(
                "admin_set_user_password", user.username, Password=new_password, Permanent=True
            )
            await self.pool.admin("admin_user_global_sign_out", user.username)
        except Exception:  # refused (422) or unavailable (503): the link stays good
            await session.rollback()
            raise
        await session.commit()
        return True

    async def check_password(self, user: User, password: str) -> bool:
        tokens = await self.pool.password_auth(user.username, password)
        if tokens is not None and tokens.refresh_token is not None:
            await self._revoke(tokens.refresh_token)  # a check, not a login
        return tokens is not None

    async def delete(self, session: AsyncSession, user: User, services: Iterable[str]) -> None:
        await self.pool.admin("admin_delete_user", user.username)
        await accounts.delete_account(session, user, services)
