"""Tokens auth has revoked are refused by every service, not only by auth."""

import uuid
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
import respx
from fastapi import APIRouter, FastAPI
from httpx import ASGITransport, AsyncClient

from inkwell_runtime.app import build_service_app
from inkwell_runtime.auth import CurrentClaims
from inkwell_runtime.revocations import RevocationList, following, refresh
from inkwell_runtime.settings import ServiceSettings
from inkwell_testing.tokens import TestSigner

pytestmark = pytest.mark.anyio

FEED = "http://auth.test/internal/revocations"


@pytest.fixture
def app(signer: TestSigner) -> FastAPI:
    router = APIRouter()

    @router.get("/whoami")
    async def whoami(claims: CurrentClaims) -> str:
        return str(claims.sub)

    app = build_service_app(
        ServiceSettings(environment="test"),
        name="svc",
        description="",
        routers=[router],
        token_verifier=signer.verifier(),
    )
    app.state.revocations = RevocationList()
    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://svc") as client:
        yield client


async def test_a_listed_session_or_user_is_refused(
    app: FastAPI, client: AsyncClient, signer: TestSigner
) -> None:
    gone_user, ended_session, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    app.state.revocations.replace({"sessions": [str(ended_session)], "users": [str(gone_user)]})

    deleted = await client.get("/whoami", headers=signer.bearer(user_id=gone_user))
    logged_out = await client.get("/whoami", headers=signer.bearer(sid=str(ended_session)))
    fine = await client.get("/whoami", headers=signer.bearer(user_id=other, sid=str(uuid.uuid4())))

    assert deleted.status_code == logged_out.status_code == 401
    assert deleted.json() == {"detail": "Could not validate credentials"}
    assert fine.status_code == 200


@respx.mock
async def test_the_list_follows_the_feed_and_survives_an_outage() -> None:
    session = uuid.uuid4()
    route = respx.get(FEED).respond(200, json={"sessions": [str(session)], "users": []})
    revoked = RevocationList()
    async with httpx.AsyncClient() as client:
        assert await refresh(revoked, FEED, client) is True
        route.respond(503)
        assert await refresh(revoked, FEED, client) is False
        route.mock(side_effect=httpx.ConnectError("down"))
        assert await refresh(revoked, FEED, client) is False

    assert revoked.sessions == {session}  # the last list stays in force


@respx.mock
async def test_following_polls_until_closed() -> None:
    user = uuid.uuid4()
    polled_twice = anyio.Event()

    def answer(request: httpx.Request) -> httpx.Response:
        if route.call_count >= 1:
            polled_twice.set()
        return httpx.Response(200, json={"sessions": [], "users": [str(user)]})

    route = respx.get(FEED).mock(side_effect=answer)
    async with httpx.AsyncClient() as client, following(FEED, client, 0.01) as revoked:
        with anyio.fail_after(5):
            await polled_twice.wait()

    assert revoked.users == {user}
