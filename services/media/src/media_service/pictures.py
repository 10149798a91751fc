"""Where a user's picture lives, how it is addressed, and when a client's copy is current."""

import uuid

KEY_PREFIX = "profile_pics/"


def picture_key(user_id: uuid.UUID) -> str:
    """One fixed key per user: a new upload replaces the old one atomically, whatever its type."""
    return f"{KEY_PREFIX}{user_id}"


def picture_url(public_base_url: str, user_id: uuid.UUID) -> str:
    return f"{public_base_url.rstrip('/')}/api/users/{user_id}/profile-picture"


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names the current version (RFC 9110 §13.1.2).

    The weak comparison applies: ``W/"x"`` matches ``"x"``; ``*`` matches any version; the
    header may list several tags.
    """
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    current = _opaque(etag)
    return any(_opaque(candidate) == current for candidate in if_none_match.split(","))
