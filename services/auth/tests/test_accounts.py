"""The rules of ``accounts`` that mutation testing (`make mutation`) found unchecked.

Each pins down a rule the other tests exercised without checking: a duplicate costs the same
hash a success does, a lost race still names the right field, the timing guard
hashes with the caller's own cost, expiry is exclusive, and the admin listing pages in a
total order.
"""

import hashlib
import string
import uuid
from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import accounts
from auth_service.models import PasswordResetToken, ResetMail, User
from auth_service.passwords import PasswordHasher
from auth_service.schemas import UserCreate
from inkwell_runtime.clock import utcnow
from inkwell_testing.tokens import TestSigner

from .conftest import PASSWORD

pytestmark = pytest.mark.anyio


def make_password_hash(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost, memory_kib, concurrency=2)


class RecordingHash(PasswordHasher):
    """A real Argon2 hasher that records what it hashed and which hashes it verified against."""

    def __init__(self, time_cost: int = 1, memory_kib: int = 1024) -> None:
        super().__init__(time_cost, memory_kib, concurrency=2)
        self.hashed: list[str] = []
        self.verified_against: list[str] = []

    async def hash(self, password: str) -> str:
        self.hashed.append(password)
        return await super().hash(password)

    async def verify(self, password: str, hashed: str) -> bool:
        self.verified_against.append(hashed)
        return await super().verify(password, hashed)


def new_user(username: str, email: str | None = None) -> UserCreate:
    return UserCreate(
        username=username, email=email or f"{username}@example.com", password=PASSWORD
    )


@pytest.fixture
async def alice(db_session: AsyncSession) -> User:
    return await accounts.register(db_session, new_user("alice"), make_password_hash(1, 1024))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (new_user("bob", "ALICE@example.com"), accounts.EmailTaken),
        (new_user("ALICE", "other@example.com"), accounts.UsernameTaken),
    ],
    ids=["same email", "same username, other case"],
)
async def test_a_duplicate_costs_the_same_hash_as_a_success(
    db_session: AsyncSession, alice: User, data: UserCreate, error: type[Exception]
) -> None:
    """Argon2 is the expensive part: a conflict that skipped it would answer faster, and the
    timing would tell which emails have accounts."""
    hasher = RecordingHash()

    with pytest.raises(error):
        await accounts.register(db_session, data, hasher)

    assert hasher.hashed == [PASSWORD]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (new_user("bob", "alice@example.com"), accounts.EmailTaken),
        (new_user("Alice", "other@example.com"), accounts.UsernameTaken),
    ],
    ids=["email", "username"],
)
async def test_a_lost_race_is_reported_by_the_constraint_that_fired(
    db_session: AsyncSession,
    alice: User,
    monkeypatch: pytest.MonkeyPatch,
    data: UserCreate,
    error: type[Exception],
) -> None:
    """The pre-checks see nothing (the other insert landed after them): PostgreSQL's unique
    constraint decides, and the error must still name the field that clashed."""

    async def sees_nothing(*args: Any, **kwargs: Any) -> None:
        return None

    monkeypatch.setattr(db_session, "scalar", sees_nothing)

    with pytest.raises(error):
        await accounts.register(db_session, data, make_password_hash(1, 1024))


async def test_unknown_logins_verify_against_a_hash_of_the_callers_own_cost(
    db_session: AsyncSession,
) -> None:
    """The dummy check exists so timing does not reveal accounts: it must cost what a real
    check costs, i.e. use each hasher's own parameters, not the first one's."""
    cheap, dear = RecordingHash(1, 1024), RecordingHash(2, 2048)

    for hasher in (cheap, dear, cheap):
        assert await accounts.authenticate(db_session, "nobody", PASSWORD, hasher) is None

    assert [h.split("$")[3] for h in cheap.verified_against] == ["m=1024,t=1,p=4"] * 2
    assert [h.split("$")[3] for h in dear.verified_against] == ["m=2048,t=2,p=4"]
    assert cheap.verified_against[0] == cheap.verified_against[1]  # computed once per hasher


async def test_a_reset_request_writes_a_token_only_for_an_account(
    db_session: AsyncSession, alice: User
) -> None:
    """The same statements for both (equal work): a mail row each, a token row only for the
    address that has an account, tied to that account."""
    ttl = timedelta(minutes=5)
    known = await accounts.request_reset(db_session, alice.email.upper(), ttl)
    unknown = await accounts.request_reset(db_session, "ghost@example.com", ttl)

    assert known is not None and unknown is not None
    assert (known.to, known.user_id) == (alice.email, alice.id)
    assert known.token is not None and len(known.token) == 43
    assert (unknown.to, unknown.user_id, unknown.token) == ("ghost@example.com", None, None)
    tokens = (await db_session.scalars(select(PasswordResetToken))).all()
    assert [(t.user_id, t.token_hash) for t in tokens] == [
        (alice.id, hashlib.sha256(known.token.encode()).hexdigest())
    ]
    assert tokens[0].expires_at - tokens[0].created_at == ttl
    assert await db_session.scalar(select(func.count()).select_from(ResetMail)) == 2


async def test_reset_tokens_are_256_bit_url_safe_strings(
    db_session: AsyncSession, alice: User
) -> None:
    issued = await accounts.create_reset_token(db_session, alice.email, timedelta(minutes=5))

    assert issued is not None
    _, token = issued
    assert len(token) == 43  # 32 random bytes, base64url without padding
    assert set(token) <= set(string.ascii_letters + string.digits + "-_")


async def test_a_reset_token_is_dead_at_its_expiry_instant(
    db_session: AsyncSession, alice: User
) -> None:
    issued_at = utcnow()
    ttl = timedelta(minutes=30)
    issued = await accounts.create_reset_token(db_session, alice.email, ttl, now=issued_at)
    assert issued is not None
    _, token = issued
    hasher = make_password_hash(1, 1024)

    at_expiry = await accounts.reset_password(
        db_session, token, "new passphrase", hasher, now=issued_at + ttl
    )
    just_before = await accounts.reset_password(
        db_session, token, "new passphrase", hasher, now=issued_at + ttl - timedelta(milliseconds=1)
    )

    assert at_expiry is False
    assert just_before is True


@pytest.fixture
async def same_instant_users(db_session: AsyncSession) -> list[str]:
    """Five users created in the same instant, inserted in descending id order: only the id
    tie-breaker gives them a stable order."""
    stamp = utcnow()
    ids = sorted((uuid.uuid4() for _ in range(5)), reverse=True)
    for i, user_id in enumerate(ids):
        db_session.add(
            User(
                id=user_id,
                username=f"twin{i}",
                email=f"twin{i}@example.com",
                hashed_password="not-a-real-hash",
                roles=["user"],
                created_at=stamp,
            )
        )
    await db_session.commit()
    return sorted(str(i) for i in ids)


@pytest.mark.parametrize(
    ("params", "window"),
    [
        ({}, slice(None)),
        ({"limit": 2}, slice(0, 2)),
        ({"skip": 1, "limit": 3}, slice(1, 4)),
        ({"skip": 4}, slice(4, None)),
    ],
)
async def test_admin_listing_pages_through_a_total_order(
    client: AsyncClient,
    signer: TestSigner,
    same_instant_users: list[str],
    params: dict[str, int],
    window: slice,
) -> None:
    response = await client.get(
        "/api/admin/users", params=params, headers=signer.bearer(roles=["admin"])
    )

    assert response.status_code == 200
    assert [u["id"] for u in response.json()["items"]] == same_instant_users[window]
