"""Small building blocks of the e2e flows: users with tokens, unique names, real PNG bytes,
and waiting (bounded) for the system to recover."""

import secrets
import string
import struct
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio
import httpx

PASSWORD = "correct horse battery staple"
RECOVERY_SECONDS = 30.0
"""How long a restarted service may take before the system answers through it again."""


async def eventually(
    check: Callable[[], Awaitable[bool]], seconds: float = RECOVERY_SECONDS
) -> bool:
    """Poll ``check`` until it holds, for at most ``seconds`` (a bounded loop)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return True
        await anyio.sleep(0.2)
    return False


def unique(prefix: str) -> str:
    """``prefix_`` + 10 random lowercase letters and digits (valid as a username)."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def unique_city(prefix: str) -> str:
    """A city name nobody asked for before (letters only: the weather service's rule)."""
    letters = "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))
    return f"{prefix} {letters.capitalize()}"


@dataclass(frozen=True)
class User:
    id: str
    username: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def register(client: httpx.AsyncClient, prefix: str = "user") -> User:
    """Register through the gateway, then log in with the OAuth2 password flow."""
    username = unique(prefix)
    email = f"{username}@example.com"
    created = await client.post(
        "/api/auth/register", json={"username": username, "email": email, "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    token = await client.post("/api/auth/token", data={"username": username, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return User(
        id=created.json()["id"],
        username=username,
        email=email,
        password=PASSWORD,
        token=token.json()["access_token"],
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png(
    width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (200, 30, 60), text: str = ""
) -> bytes:
    """A real RGB PNG; ``text`` adds a ``tEXt`` chunk (metadata the service should strip)."""
    row = b"\x00" + bytes(rgb) * width
    chunks = [_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))]
    if text:
        chunks.append(_chunk(b"tEXt", b"Comment\x00" + text.encode()))
    chunks.append(_chunk(b"IDAT", zlib.compress(row * height)))
    chunks.append(_chunk(b"IEND", b""))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height
