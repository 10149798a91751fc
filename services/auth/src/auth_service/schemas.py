"""Request bodies of the auth API (responses are the shared contracts)."""

from pydantic import BaseModel, EmailStr, Field

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
EMAIL_RULE = (
    "An email address whose domain can receive mail: special-use and reserved domains "
    "(`localhost`, `.local`, `.test`, `.invalid`, `.onion`, `.arpa`, ...) are refused (422)."
)


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=32, pattern=USERNAME_PATTERN)
    email: EmailStr = Field(max_length=320, description=EMAIL_RULE)
    password: str = Field(min_length=8, max_length=128)


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=320, description="Username or email")
    password: str = Field(min_length=1, max_length=128)


class ForgotPasswordRequest(BaseModel):
    email: EmailStr = Field(description=EMAIL_RULE)


class ResetPasswordRequest(BaseModel):
    token: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=8, max_length=128)


class Message(BaseModel):
    detail: str
