"""Registration, login, keys and password resets."""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordRequestForm

from auth_service import accounts, sessions
from auth_service.api.deps import (
    DbSession,
    Jobs,
    Keys,
    LoginSlots,
    Mailer,
    Provider,
    Sessions,
    Settings,
    Throttle,
)
from auth_service.models import User
from auth_service.resets import issue_reset
from auth_service.schemas import (
    ForgotPasswordRequest,
    LoginRequest,
    Message,
    RefreshRequest,
    ResetPasswordRequest,
    UserCreate,
)
from contracts.auth import TokenResponse, UserRead
from inkwell_runtime.errors import error_responses

router = APIRouter(prefix="/api/auth", tags=["auth"])

FORGOT_PASSWORD_ACCEPTED = "If that email is registered, a reset link has been sent"  # noqa: S105


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=error_responses({409: "Email or username taken"}),
)
async def register(body: UserCreate, session: DbSession, provider: Provider) -> User:
    return await provider.register(session, body)


_BAD_LOGIN = error_responses(
    {
        401: "Incorrect username or password",
        429: "Too many failed logins for this account (LOGIN_FAILURE_LIMIT); see Retry-After",
    }
)


async def _issue(
    session: DbSession,
    provider: Provider,
    throttle: Throttle,
    slots: LoginSlots,
    login: str,
    password: str,
) -> TokenResponse:
    async with slots:  # a burst waits here, before any work (LOGIN_CONCURRENCY)
        if throttle is not None and (retry := await throttle.retry_after(login)) is not None:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"Too many failed logins for this account; try again in {retry} seconds",
                headers={"Retry-After": str(retry)},
            )
        pair = await provider.log_in(session, login, password)
        if pair is None:
            if throttle is not None:
                await throttle.failed(login)
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "Incorrect username or password",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return pair


@router.post("/token", response_model=TokenResponse, responses=_BAD_LOGIN)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: DbSession,
    provider: Provider,
    throttle: Throttle,
    slots: LoginSlots,
) -> TokenResponse:
    """OAuth2 password flow (what Swagger UI's "Authorize" uses); username may be the email."""
    return await _issue(session, provider, throttle, slots, form.username, form.password)


@router.post("/login", response_model=TokenResponse, responses=_BAD_LOGIN)
async def login(
    body: LoginRequest,
    session: DbSession,
    provider: Provider,
    throttle: Throttle,
    slots: LoginSlots,
) -> TokenResponse:
    """Log in with a username or email. Failed logins are counted per account: past
    ``LOGIN_FAILURE_LIMIT`` the account answers 429 (known and unknown accounts alike)."""
    return await _issue(session, provider, throttle, slots, body.username, body.password)


@router.post(
    "/refresh",
    response_model=TokenResponse,
    responses=error_responses({401: "Invalid, expired, revoked or already used refresh token"}),
)
async def refresh(body: RefreshRequest, session: DbSession, provider: Provider) -> TokenResponse:
    """Trade a refresh token for a new pair; the one presented is spent. Presenting a spent
    token again revokes its whole session (someone else holds a copy) and answers 401."""
    try:
        return await provider.refresh(session, body.refresh_token)
    except sessions.InvalidRefreshToken as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, exc.detail, headers={"WWW-Authenticate": "Bearer"}
        ) from exc


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(body: RefreshRequest, session: DbSession, provider: Provider) -> None:
    """End the session the refresh token belongs to: its refresh tokens stop working, and so
    do its access tokens at auth's own endpoints. An unknown token is nothing to end (204)."""
    await provider.log_out(session, body.refresh_token)


@router.get("/jwks.json")
async def jwks(keys: Keys, response: Response) -> dict[str, Any]:
    """Every published public key (the signing one and those being added or retired); other
    services verify tokens against these."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return keys.jwks()


@router.post("/forgot-password", status_code=status.HTTP_202_ACCEPTED, response_model=Message)
async def forgot_password(
    body: ForgotPasswordRequest,
    background: BackgroundTasks,
    jobs: Jobs,
    sessions: Sessions,
    mailer: Mailer,
    settings: Settings,
) -> Message:
    """Always the same answer, at the same speed: all the work (finding the account, a token,
    the email) happens in a detached task, for known and unknown addresses alike: a known
    address gets a reset link, an unknown one a note that it has no account. An address gets
    at most a few such emails an hour; asking more often sends nothing more."""
    ttl = timedelta(minutes=settings.reset_token_expire_minutes)
    jobs.run(
        background,
        issue_reset,
        sessions,
        mailer,
        str(body.email),
        ttl,
        settings.password_reset_url,
        settings.public_base_url,
    )
    return Message(detail=FORGOT_PASSWORD_ACCEPTED)


@router.post(
    "/reset-password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses({400: "Invalid or expired reset token"}),
)
async def reset_password(
    body: ResetPasswordRequest, session: DbSession, provider: Provider
) -> None:
    """Set a new password with a reset token; every other reset token and every login session
    of the account is revoked with it."""
    try:
        done = await provider.reset_password(session, body.token, body.new_password)
    except accounts.PasswordRefused as exc:
        error = {"type": "value_error", "loc": ("body", "new_password"), "msg": exc.detail}
        raise RequestValidationError([error]) from exc
    if not done:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Invalid or expired reset token")
