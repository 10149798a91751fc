"""AUTH_PROVIDER=cognito: the same routes and answers, Cognito (moto's, in server mode) behind
them, exercised with real Cognito tokens."""

import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from fastapi import FastAPI
from httpx import AsyncClient
from jose import jwt as jose_jwt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.cognito import COGNITO_MANAGED, CognitoPool
from auth_service.models import ErasureOutbox, RefreshToken, User
from auth_service.sessions import unseal

from .conftest import ADMIN_EMAIL, COGNITO_PASSWORD, Outbox
from .conftest import CognitoPool as PoolFixture

pytestmark = pytest.mark.anyio


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def fresh_name() -> str:
    return f"u{uuid.uuid4().hex[:12]}"


async def register(client: AsyncClient, username: str, email: str | None = None) -> Any:
    return await client.post(
        "/api/auth/register",
        json={
            "username": username,
            "email": email or f"{username}@example.com",
            "password": COGNITO_PASSWORD,
        },
    )


async def log_in(client: AsyncClient, username: str, password: str = COGNITO_PASSWORD) -> Any:
    return await client.post("/api/auth/login", json={"username": username, "password": password})


async def test_register_creates_a_confirmed_cognito_user_and_a_profile_row(
    cognito_client: AsyncClient, cognito_pool: PoolFixture, db_session: AsyncSession
) -> None:
    name = fresh_name()

    response = await register(cognito_client, name)

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["username"], body["email"], body["roles"]) == (
        name,
        f"{name}@example.com",
        ["user"],
    )
    in_pool = cognito_pool.boto().admin_get_user(UserPoolId=cognito_pool.pool_id, Username=name)
    attributes = {a["Name"]: a["Value"] for a in in_pool["UserAttributes"]}
    assert in_pool["UserStatus"] == "CONFIRMED"
    assert attributes["email"] == f"{name}@example.com"
    assert attributes["sub"] == body["id"]  # the profile row is keyed on Cognito's sub
    row = await db_session.get(User, uuid.UUID(body["id"]))
    assert row is not None and row.hashed_password == COGNITO_MANAGED  # no password, no hash


async def test_taken_names_and_emails_are_409_and_cognito_gets_nothing(
    cognito_client: AsyncClient, cognito_pool: PoolFixture
) -> None:
    name = fresh_name()
    assert (await register(cognito_client, name)).status_code == 201

    same_email = await register(cognito_client, fresh_name(), email=f"{name}@example.com")
    only_in_cognito = await register(cognito_client, cognito_pool.username, "c2@example.com")

    assert same_email.status_code == 409
    assert same_email.json()["detail"] == "Email already registered"
    assert only_in_cognito.status_code == 409  # Cognito's UsernameExistsException
    assert only_in_cognito.json()["detail"] == "Username already taken"
    users = cognito_pool.boto().list_users(
        UserPoolId=cognito_pool.pool_id, Filter=f'email = "{name}@example.com"'
    )["Users"]
    assert len(users) == 1


async def test_a_password_the_pool_refuses_is_422_and_not_echoed(
    cognito_client: AsyncClient,
) -> None:
    name = fresh_name()
    response = await cognito_client.post(
        "/api/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": "no capitals here"},
    )

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "password"]
    assert "password policy" in error["msg"]
    assert "no capitals here" not in response.text
    assert (await log_in(cognito_client, name, "no capitals here")).status_code == 401


async def test_login_answers_cognito_tokens_that_auth_and_its_me_accept(
    cognito_client: AsyncClient, cognito_tokens: dict[str, Any], cognito_pool: PoolFixture
) -> None:
    claims = jose_jwt.get_unverified_claims(cognito_tokens["access_token"])
    assert claims["token_use"] == "access"
    assert claims["client_id"] == cognito_pool.client_id
    assert claims["iss"].endswith(f"/{cognito_pool.pool_id}")
    assert cognito_tokens["token_type"] == "bearer"
    assert cognito_tokens["expires_in"] == 3600  # the app client's access-token lifetime

    me = await cognito_client.get("/api/users/me", headers=bearer(cognito_tokens))

    assert me.status_code == 200, me.text
    # the pool's user had no profile: the first login made it from Cognito's answer
    assert me.json()["id"] == claims["sub"]
    assert (me.json()["username"], me.json()["email"]) == (
        cognito_pool.username,
        cognito_pool.email,
    )


async def test_the_oauth2_form_logs_in_with_the_email_too(
    cognito_client: AsyncClient, cognito_tokens: dict[str, Any], cognito_pool: PoolFixture
) -> None:
    response = await cognito_client.post(
        "/api/auth/token", data={"username": cognito_pool.email, "password": COGNITO_PASSWORD}
    )

    assert response.status_code == 200, response.text
    me = await cognito_client.get("/api/users/me", headers=bearer(response.json()))
    assert me.json()["username"] == cognito_pool.username


async def test_wrong_password_and_unknown_user_are_401_then_429(
    cognito_client: AsyncClient, cognito_pool: PoolFixture
) -> None:
    wrong = await log_in(cognito_client, cognito_pool.username, "Not the password 1")
    unknown = await log_in(cognito_client, "nobody-here", COGNITO_PASSWORD)

    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json()["detail"] == "Incorrect username or password"
    for _ in range(9):
        await log_in(cognito_client, cognito_pool.username, "Not the password 1")
    throttled = await log_in(cognito_client, cognito_pool.username)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0


async def test_bootstrap_admins_join_the_admin_group_and_their_tokens_say_so(
    cognito_client: AsyncClient, cognito_pool: PoolFixture
) -> None:
    """(Cognito outlives each test's rollback: this is the one test registering that email.)"""
    name = fresh_name()
    created = await register(cognito_client, name, email=ADMIN_EMAIL)
    assert created.json()["roles"] == ["user", "admin"]
    tokens = (await log_in(cognito_client, name)).json()

    assert jose_jwt.get_unverified_claims(tokens["access_token"])["cognito:groups"] == ["admin"]
    listing = await cognito_client.get("/api/admin/users", headers=bearer(tokens))
    assert listing.status_code == 200
    groups = cognito_pool.boto().admin_list_groups_for_user(
        UserPoolId=cognito_pool.pool_id, Username=name
    )["Groups"]
    assert [g["GroupName"] for g in groups] == ["admin"]


async def test_refresh_rotates_and_a_replay_ends_the_session(
    cognito_client: AsyncClient, cognito_tokens: dict[str, Any], db_session: AsyncSession
) -> None:
    first = cognito_tokens["refresh_token"]

    rotated = await cognito_client.post("/api/auth/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["refresh_token"] != first
    assert (await cognito_client.get("/api/users/me", headers=bearer(new))).status_code == 200

    replayed = await cognito_client.post("/api/auth/refresh", json={"refresh_token": first})
    after = await cognito_client.post(
        "/api/auth/refresh", json={"refresh_token": new["refresh_token"]}
    )

    assert replayed.status_code == after.status_code == 401
    assert (await cognito_client.get("/api/users/me", headers=bearer(new))).status_code == 401
    family = jose_jwt.get_unverified_claims(new["access_token"])["origin_jti"]
    rows = (
        await db_session.scalars(
            select(RefreshToken).where(RefreshToken.family_id == uuid.UUID(family))
        )
    ).all()
    assert len(rows) == 2 and all(r.revoked_at is not None for r in rows)


async def test_cognitos_refresh_token_is_stored_sealed(
    cognito_tokens: dict[str, Any], db_session: AsyncSession
) -> None:
    family = jose_jwt.get_unverified_claims(cognito_tokens["access_token"])["origin_jti"]
    row = await db_session.scalar(
        select(RefreshToken).where(RefreshToken.family_id == uuid.UUID(family))
    )

    assert row is not None and row.upstream_sealed is not None
    upstream = unseal(cognito_tokens["refresh_token"], row.upstream_sealed)
    assert upstream not in row.upstream_sealed  # not stored in the clear
    with pytest.raises(Exception):  # noqa: B017 - another token opens nothing
        unseal("another token", row.upstream_sealed)


async def test_logout_ends_the_session_and_the_feed_lists_it(
    cognito_client: AsyncClient, cognito_tokens: dict[str, Any]
) -> None:
    out = await cognito_client.post(
        "/api/auth/logout", json={"refresh_token": cognito_tokens["refresh_token"]}
    )
    again = await cognito_client.post(
        "/api/auth/logout", json={"refresh_token": cognito_tokens["refresh_token"]}
    )

    assert out.status_code == again.status_code == 204
    me = await cognito_client.get("/api/users/me", headers=bearer(cognito_tokens))
    assert me.status_code == 401
    refreshed = await cognito_client.post(
        "/api/auth/refresh", json={"refresh_token": cognito_tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401
    feed = (await cognito_client.get("/internal/revocations")).json()
    assert (
        jose_jwt.get_unverified_claims(cognito_tokens["access_token"])["origin_jti"]
        in (feed["sessions"])
    )


async def test_a_token_straight_from_cognito_is_accepted_an_id_token_is_not(
    cognito_client: AsyncClient, cognito_tokens: dict[str, Any], cognito_pool: PoolFixture
) -> None:
    """A session started outside Inkwell's login (Cognito's own UI, say) is Cognito's."""
    direct = cognito_pool.boto().initiate_auth(
        ClientId=cognito_pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": cognito_pool.username, "PASSWORD": COGNITO_PASSWORD},
    )["AuthenticationResult"]

    access = await cognito_client.get(
        "/api/users/me", headers={"Authorization": f"Bearer {direct['AccessToken']}"}
    )
    id_token = await cognito_client.get(
        "/api/users/me", headers={"Authorization": f"Bearer {direct['IdToken']}"}
    )

    assert access.status_code == 200
    assert id_token.status_code == 401


async def test_a_reset_link_sets_the_password_in_cognito_and_ends_every_session(
    cognito_client: AsyncClient,
    cognito_tokens: dict[str, Any],
    cognito_pool: PoolFixture,
    outbox: Outbox,
) -> None:
    accepted = await cognito_client.post(
        "/api/auth/forgot-password", json={"email": cognito_pool.email}
    )
    assert accepted.status_code == 202
    (mail,) = outbox.sent
    link = re.search(r"http\S+", mail["body"])
    assert link is not None
    token = parse_qs(urlparse(link.group(0)).query)["token"][0]
    new_password = f"A new passphrase {uuid.uuid4().hex[:6]}"

    weak = await cognito_client.post(
        "/api/auth/reset-password", json={"token": token, "new_password": "no capitals at all"}
    )
    reset = await cognito_client.post(
        "/api/auth/reset-password", json={"token": token, "new_password": new_password}
    )

    assert weak.status_code == 422  # the pool's policy; the token is still good
    assert reset.status_code == 204, reset.text
    me = await cognito_client.get("/api/users/me", headers=bearer(cognito_tokens))
    assert me.status_code == 401
    assert (await log_in(cognito_client, cognito_pool.username)).status_code == 401
    assert (await log_in(cognito_client, cognito_pool.username, new_password)).status_code == 200
    refreshed = await cognito_client.post(
        "/api/auth/refresh", json={"refresh_token": cognito_tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401
    # the pool's user gets the suite's password back for the tests after this one
    cognito_pool.boto().admin_set_user_password(
        UserPoolId=cognito_pool.pool_id,
        Username=cognito_pool.username,
        Password=COGNITO_PASSWORD,
        Permanent=True,
    )


async def test_deleting_the_account_deletes_the_cognito_user(
    cognito_client: AsyncClient, cognito_pool: PoolFixture, db_session: AsyncSession
) -> None:
    name = fresh_name()
    account = (await register(cognito_client, name)).json()
    tokens = (await log_in(cognito_client, name)).json()

    wrong = await cognito_client.request(
        "DELETE", "/api/users/me", json={"password": "Not it at all 1"}, headers=bearer(tokens)
    )
    done = await cognito_client.request(
        "DELETE", "/api/users/me", json={"password": COGNITO_PASSWORD}, headers=bearer(tokens)
    )

    assert wrong.status_code == 401
    assert done.status_code == 204
    with pytest.raises(ClientError, match="UserNotFoundException"):
        cognito_pool.boto().admin_get_user(UserPoolId=cognito_pool.pool_id, Username=name)
    assert await db_session.get(User, uuid.UUID(account["id"])) is None
    owed = await db_session.scalars(
        select(ErasureOutbox.service).where(ErasureOutbox.user_id == uuid.UUID(account["id"]))
    )
    assert sorted(owed) == ["content", "media", "preferences"]


async def test_with_code_confirmation_an_account_logs_in_once_confirmed(
    cognito_app: FastAPI, cognito_client: AsyncClient
) -> None:
    settings = cognito_app.state.settings
    cognito_app.state.settings = settings.model_copy(update={"cognito_confirm": "code"})
    try:
        name = fresh_name()
        assert (await register(cognito_client, name)).status_code == 201
        before = await log_in(cognito_client, name)
        confirmed = await cognito_client.post(
            "/api/auth/confirm", json={"username": name, "code": "123456"}
        )
        after = await log_in(cognito_client, name)
    finally:
        cognito_app.state.settings = settings

    assert before.status_code == 403
    assert "not confirmed" in before.json()["detail"]
    assert confirmed.status_code == 204
    assert after.status_code == 200


class FailingClient:
    """A Cognito client whose every call fails as given (what moto cannot be made to do)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, operation: str) -> Any:
        async def call(**params: Any) -> Any:
            raise self.error

        return call


def client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": "internal"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "InitiateAuth",
    )


FAILURES = {
    "throttled": (client_error("TooManyRequestsException"), 429),
    "limit exceeded": (client_error("LimitExceededException"), 429),
    "unreachable": (EndpointConnectionError(endpoint_url="http://cognito.invalid"), 503),
    "cognito 500": (client_error("InternalErrorException", 500), 503),
    "pool misconfigured": (client_error("ResourceNotFoundException"), 503),
}


@pytest.mark.parametrize(("error", "status"), FAILURES.values(), ids=FAILURES.keys())
async def test_cognito_failures_answer_the_local_statuses_never_botocore(
    cognito_app: FastAPI, cognito_client: AsyncClient, error: Exception, status: int
) -> None:
    real = cognito_app.state.cognito
    cognito_app.state.cognito = CognitoPool(FailingClient(error), cognito_app.state.settings)
    try:
        login = await log_in(cognito_client, "someone")
        signup = await register(cognito_client, fresh_name())
    finally:
        cognito_app.state.cognito = real

    for response in (login, signup):
        assert response.status_code == status
        assert response.json()["detail"] in (
            "Identity provider unavailable",
            "Too many requests to the identity provider; try again later",
        )
        assert "internal" not in response.text and "botocore" not in response.text
        assert "Retry-After" in response.headers


async def test_an_app_client_with_a_secret_gets_its_secret_hash(
    cognito_pool: PoolFixture,
) -> None:
    from auth_service.cognito import open_pool

    from .conftest import cognito_settings

    made = cognito_pool.boto().create_user_pool_client(
        UserPoolId=cognito_pool.pool_id,
        ClientName="with-secret",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]

    async def refreshed_with(secret: str) -> bool:
        settings = cognito_settings(
            cognito_pool, cognito_client_id=made["ClientId"], cognito_client_secret=secret
        )
        async with open_pool(settings) as pool:
            tokens = await pool.password_auth(cognito_pool.username, COGNITO_PASSWORD)
            assert tokens is not None and tokens.refresh_token is not None
            return await pool.refresh(tokens.refresh_token, cognito_pool.username) is not None

    assert await refreshed_with(made["ClientSecret"])
    assert not await refreshed_with("not the secret")


async def test_a_sign_up_that_cannot_finish_leaves_nothing_in_cognito(
    cognito_app: FastAPI, cognito_client: AsyncClient, cognito_pool: PoolFixture
) -> None:
    settings = cognito_app.state.settings
    cognito_app.state.settings = settings.model_copy(update={"cognito_admin_group": "no-such"})
    name = fresh_name()
    try:
        response = await register(cognito_client, name, email=ADMIN_EMAIL)
    finally:
        cognito_app.state.settings = settings

    assert response.status_code == 503  # the pool has no such group: misconfigured
    assert response.json()["detail"] == "Identity provider unavailable"
    with pytest.raises(ClientError, match="UserNotFoundException"):
        cognito_pool.boto().admin_get_user(UserPoolId=cognito_pool.pool_id, Username=name)
    assert (await register(cognito_client, name)).status_code == 201


async def test_a_pool_user_without_an_email_cannot_log_in_through_inkwell(
    cognito_client: AsyncClient, cognito_pool: PoolFixture
) -> None:
    name = fresh_name()
    idp = cognito_pool.boto()
    idp.sign_up(ClientId=cognito_pool.client_id, Username=name, Password=COGNITO_PASSWORD)
    idp.admin_confirm_sign_up(UserPoolId=cognito_pool.pool_id, Username=name)

    response = await log_in(cognito_client, name)

    assert response.status_code == 403
    assert "no email address" in response.json()["detail"]
