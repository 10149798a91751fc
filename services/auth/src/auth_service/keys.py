"""Auth's key set: every key tokens may be signed with, and the one that signs now.

Keys come from ``JWT_KEYS_DIR`` (one ``<kid>.pem`` per key: a mounted Secret, so every
replica reads the same set) and/or ``JWT_PRIVATE_KEY`` (one PEM, its kid ``JWT_KEY_ID``).
JWKS publishes all of them; ``JWT_SIGNING_KID`` names the signer (needed when there are
several). With none configured (development and tests only), each process makes its own
ephemeral key. Rotation, one step per rollout: add the new key → sign with it → remove the
old one after the longest token lifetime (docs/auth-keys.md).
"""

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auth_service.core.config import AuthSettings
from inkwell_runtime.jwt import SigningKey

_KID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class KeySetError(ValueError):
    """The configured keys cannot make a key set (auth refuses to start)."""


class KeySet:
    """Published keys, one of which signs."""

    def __init__(self, keys: Sequence[SigningKey], signing_kid: str | None = None) -> None:
        if not keys:
            raise KeySetError("no signing key configured")
        by_kid = {key.kid: key for key in keys}
        if len(by_kid) != len(keys):
            raise KeySetError("two keys share a key id")
        if signing_kid is None:
            if len(keys) > 1:
                names = ", ".join(sorted(by_kid))
                raise KeySetError(f"JWT_SIGNING_KID must name the signing key, one of: {names}")
            signing_kid = keys[0].kid
        if signing_kid not in by_kid:
            raise KeySetError(
                f"JWT_SIGNING_KID={signing_kid!r} is not in the key set "
                f"({', '.join(sorted(by_kid))})"
            )
        self.keys = tuple(keys)
        self.signing = by_kid[signing_kid]

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """Every key's public half: tokens signed by any of them verify everywhere."""
        return {"keys": [key.public_jwk for key in self.keys]}


def read_keys_dir(directory: Path) -> list[SigningKey]:
    """``<kid>.pem`` files, in name order (other files, e.g. a Secret's ``JWT_SIGNING_KID``
    entry, are not keys)."""
    if not directory.is_dir():
        raise KeySetError(f"JWT_KEYS_DIR={directory} is not a directory")
    keys = []
    for path in sorted(directory.glob("*.pem")):
        kid = path.stem
        if not _KID.fullmatch(kid):
            raise KeySetError(f"{path.name}: a key id is letters, digits, '.', '_' or '-'")
        try:
            keys.append(SigningKey(path.read_text(), kid=kid))
        except Exception as exc:  # jose raises several kinds for a bad PEM
            raise KeySetError(f"{path.name}: not an RSA private key in PEM ({exc})") from exc
    if not keys:
        raise KeySetError(f"JWT_KEYS_DIR={directory} holds no <kid>.pem file")
    return keys


def load_key_set(settings: AuthSettings) -> KeySet:
    """The configured key set, or (development and tests only) one ephemeral key."""
    keys: list[SigningKey] = []
    if settings.jwt_keys_dir is not None:
        keys += read_keys_dir(settings.jwt_keys_dir)
    if settings.jwt_private_key is not None:
        pem = settings.jwt_private_key.get_secret_value()
        keys.append(SigningKey(pem, kid=settings.jwt_key_id))
    if not keys:
        # the settings refuse this in production and with several replicas
        return KeySet([SigningKey.generate()])
    return KeySet(keys, settings.jwt_signing_kid)
