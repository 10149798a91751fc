"""Secrets never come back in a 422: validation errors echo what was sent (``input``), which for
a password field is the password, and for a missing field the whole body around it."""

from collections.abc import Mapping, Sequence
from typing import Any

SECRET_FIELDS = frozenset(
    {"password", "new_password", "current_password", "token", "refresh_token", "access_token"}
)
REDACTED = "[redacted]"


def _scrub(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: REDACTED if k in SECRET_FIELDS else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def redact_errors(errors: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``errors`` with every secret field's value replaced, wherever it is echoed."""
    redacted = []
    for error in errors:
        error = dict(error)
        if "input" in error:
            loc = error.get("loc") or ()
            secret = any(part in SECRET_FIELDS for part in loc if isinstance(part, str))
            error["input"] = REDACTED if secret else _scrub(error["input"])
        redacted.append(error)
    return redacted
