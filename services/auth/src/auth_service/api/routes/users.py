"""Who am I, and who is that."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from auth_service import accounts
from auth_service.api.deps import AdminClaims, CurrentUser, DbSession, Provider, Settings
from auth_service.models import User
from auth_service.schemas import DeleteAccountRequest
from contracts.auth import PublicUser, UserPage, UserRead
from inkwell_runtime.db import ReadDb
from inkwell_runtime.errors import FORBIDDEN, UNAUTHORIZED, error_responses
from inkwell_runtime.pagination import PageRequest, page_request

router = APIRouter(tags=["users"])

Pagination = Annotated[PageRequest, Depends(page_request(default_limit=50))]

_UNAUTHORIZED = error_responses(UNAUTHORIZED)


@router.get("/api/users/me", response_model=UserRead, responses=_UNAUTHORIZED)
async def read_me(user: CurrentUser) -> User:
    return user


@router.delete(
    "/api/users/me",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses({401: "Missing or invalid token, or incorrect password"}),
)
async def delete_me(
    body: DeleteAccountRequest,
    user: CurrentUser,
    session: DbSession,
    provider: Provider,
    settings: Settings,
) -> None:
    """Delete the caller's account, the password confirmed. Auth refuses the account's tokens
    at once; its posts, preferences and profile picture are erased by the other services within
    seconds (an outbox with retries: a service that is down is erased when it returns). Other
    services refuse the account's tokens within seconds (auth's revocation feed)."""
    if not await provider.check_password(user, body.password):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Incorrect password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    await provider.delete(session, user, settings.erasure_services)


@router.get(
    "/api/users/{user_id}",
    response_model=PublicUser,
    responses=error_responses({404: "User not found"}),
)
async def read_user(user_id: uuid.UUID, session: DbSession) -> User:
    user = await accounts.get_user(session, user_id)
    if user is None:
        raise HTTPException(404, "User not found")
    return user


@router.get(
    "/api/admin/users",
    response_model=UserPage,
    dependencies=[AdminClaims],
    responses=error_responses({**UNAUTHORIZED, **FORBIDDEN}),
)
async def list_users(session: ReadDb, page: Pagination) -> UserPage:
    """Every account, oldest first: walk the pages with ``cursor`` (``skip`` ≤ 1000)."""
    found = await accounts.list_users(session, page)
    return UserPage.model_validate({"items": [u._asdict() for u in found.items], **found.info()})
