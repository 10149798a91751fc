"""Request bodies of the auth API (responses are the shared contracts)."""

import unicodedata
from typing import Self

from pydantic import BaseModel, EmailStr, Field, field_validator, model_validator

from auth_service import identity, password_policy

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
EMAIL_RULE = (
    "An email address whose domain can receive mail: special-use and reserved domains "
    "(`localhost`, `.local`, `.test`, `.invalid`, `.onion`, `.arpa`, ...) are refused (422)."
)

PASSWORD_RULES = (
    f"{password_policy.MIN_LENGTH} to {password_policy.MAX_LENGTH} characters, at least "
    f"{password_policy.MIN_LENGTH} of them not spaces; no control characters; not one of the "
    "30,000 most common passwords; not the username or email."
)


def _password_field() -> str:
    return Field(
        min_length=password_policy.MIN_LENGTH,
        max_length=password_policy.MAX_LENGTH,
        description=PASSWORD_RULES,
    )


def _acceptable_password(value: str) -> str:
    problem = password_policy.context_free_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


class UserCreate(BaseModel):
    username: str = Field(
        min_length=3,
        max_length=32,
        pattern=USERNAME_PATTERN,
        description="Letters, digits, `_`, `.`, `-` (after NFKC: fullwidth forms count as "
        "their ASCII letters); unique regardless of case.",
    )
    email: EmailStr = Field(
        max_length=320,
        description=EMAIL_RULE
        + " Unique after NFKC normalisation and case folding; an address mixing "
        "scripts with look-alike characters is refused.",
    )
    password: str = _password_field()

    @field_validator("username", mode="before")
    @classmethod
    def _nfkc_username(cls, value: object) -> object:
        return unicodedata.normalize("NFKC", value) if isinstance(value, str) else value

    @field_validator("email")
    @classmethod
    def _no_lookalikes(cls, value: str) -> str:
        if identity.is_lookalike(value.partition("@")[0]):
            raise ValueError(identity.LOOKALIKE)
        return value

    _password = field_validator("password")(_acceptable_password)

    @model_validator(mode="after")
    def _not_own_name(self) -> Self:
        if password_policy.problem(self.password, username=self.username, email=self.email):
            raise ValueError(password_policy.OWN_NAME)
        return self


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=320, description="Username or email")
    password: str = Field(min_length=1, max_length=128)


class ForgotPasswordRequest(BaseModel):
    email: EmailStr = Field(description=EMAIL_RULE)


class ResetPasswordRequest(BaseModel):
    token: str = Field(min_length=1, max_length=200)
    new_password: str = _password_field()

    _password = field_validator("new_password")(_acceptable_password)


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class ConfirmRequest(BaseModel):
    """A Cognito sign-up's confirmation (``AUTH_PROVIDER=cognito``, ``COGNITO_CONFIRM=code``)."""

    username: str = Field(min_length=1, max_length=128)
    code: str = Field(min_length=1, max_length=64)


class DeleteAccountRequest(BaseModel):
    password: str = Field(min_length=1, max_length=128, description="The current password")


class Message(BaseModel):
    detail: str
