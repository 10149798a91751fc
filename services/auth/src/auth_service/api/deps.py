"""Every dependency a test may override, in one place."""

from typing import Annotated

from fastapi import Depends, HTTPException
from pwdlib import PasswordHash

from auth_service import accounts
from auth_service.core.config import AuthSettings
from auth_service.email import EmailSender
from auth_service.keys import KeySet
from auth_service.models import User
from inkwell_runtime.auth import CurrentClaims, get_current_claims, require_role
from inkwell_runtime.db import DbSession, get_db_session
from inkwell_runtime.jwt import SigningKey
from inkwell_runtime.state import state_dependency

__all__ = [
    "AdminClaims",
    "CurrentClaims",
    "CurrentUser",
    "DbSession",
    "Hasher",
    "Keys",
    "Mailer",
    "Settings",
    "Signer",
    "get_current_claims",
    "get_current_user",
    "get_db_session",
    "get_email_sender",
    "get_key_set",
    "get_password_hash",
    "get_settings",
    "get_signing_key",
]


get_settings = state_dependency("settings")
get_signing_key = state_dependency("signing_key")
get_key_set = state_dependency("key_set")
get_password_hash = state_dependency("password_hash")
get_email_sender = state_dependency("email_sender")


Settings = Annotated[AuthSettings, Depends(get_settings)]
Signer = Annotated[SigningKey, Depends(get_signing_key)]
Hasher = Annotated[PasswordHash, Depends(get_password_hash)]
Keys = Annotated[KeySet, Depends(get_key_set)]
Mailer = Annotated[EmailSender, Depends(get_email_sender)]


async def get_current_user(claims: CurrentClaims, session: DbSession) -> User:
    """The caller's account; a valid token for a deleted account is not a valid credential."""
    user = await accounts.get_user(session, claims.user_id)
    if user is None:
        raise HTTPException(
            401, "Could not validate credentials", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
AdminClaims = Depends(require_role("admin"))
