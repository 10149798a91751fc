"""The e2e fixtures live in ``inkwell_e2e.fixtures`` (the dev stack's tests use them too)."""

from inkwell_e2e.fixtures import (
    alice,
    auth_db,
    bob,
    bucket,
    content_db,
    gateway,
    mail,
    mongo,
    new_user,
    system,
    weather_stub,
)

__all__ = [
    "alice",
    "auth_db",
    "bob",
    "bucket",
    "content_db",
    "gateway",
    "mail",
    "mongo",
    "new_user",
    "system",
    "weather_stub",
]
