"""The error body every service answers with."""

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    """``{"detail": ...}``: a message, or FastAPI's list of validation errors on 422."""

    detail: str | list[dict[str, Any]]
