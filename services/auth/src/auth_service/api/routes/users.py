"""Who am I, and who is that."""

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from auth_service import accounts
from auth_service.api.deps import AdminClaims, CurrentUser, DbSession
from auth_service.models import User
from contracts.auth import PublicUser, UserRead
from inkwell_runtime.errors import FORBIDDEN, UNAUTHORIZED, error_responses

router = APIRouter(tags=["users"])

MAX_SKIP = 1_000_000
"""Deeper offsets are refused with 422 (an unbounded one overflowed PostgreSQL's bigint: 500)."""

_UNAUTHORIZED = error_responses(UNAUTHORIZED)


@router.get("/api/users/me", response_model=UserRead, responses=_UNAUTHORIZED)
async def read_me(user: CurrentUser) -> User:
    return user


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
    response_model=list[UserRead],
    dependencies=[AdminClaims],
    responses=error_responses({**UNAUTHORIZED, **FORBIDDEN}),
)
async def list_users(
    session: DbSession,
    skip: Annotated[int, Query(ge=0, le=MAX_SKIP)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[User]:
    return await accounts.list_users(session, skip, limit)
