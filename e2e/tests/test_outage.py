"""One service down: the gateway answers 503 for its routes, the others keep answering, and
everything recovers when the service is back, without restarting the gateway.

Needs a system the suite can stop and start services of (``E2E_STACK=local`` or ``compose``).
"""

from collections.abc import Awaitable, Callable

import httpx
import pytest

from inkwell_e2e.flows import User, eventually, unique_city
from inkwell_e2e.systems import Control, System

pytestmark = pytest.mark.anyio


@pytest.fixture
def control(system: System) -> Control:
    if system.control is None:
        pytest.skip(f"E2E_STACK={system.kind} cannot stop and start services")
    return system.control


async def readiness(gateway: httpx.AsyncClient) -> tuple[int, dict[str, str]]:
    answer = await gateway.get("/readyz")
    return answer.status_code, answer.json()["services"]


async def test_content_down_then_back(
    gateway: httpx.AsyncClient, control: Control, alice: User
) -> None:
    created = await gateway.post(
        "/api/posts", json={"title": "before the outage", "content": "x"}, headers=alice.headers
    )
    assert created.status_code == 201
    post_url = f"/api/posts/{created.json()['id']}"

    control.stop("content")
    try:
        down = await gateway.get(post_url)
        assert down.status_code == 503
        assert down.json() == {"detail": "content service unavailable"}
        write = await gateway.post(
            "/api/posts", json={"title": "during", "content": "x"}, headers=alice.headers
        )
        assert write.status_code == 503

        # Everyone else keeps answering.
        assert (await gateway.get("/api/users/me", headers=alice.headers)).status_code == 200
        saved = await gateway.put(
            "/api/users/me/preferences", json={"city": "Oslo"}, headers=alice.headers
        )
        assert saved.status_code == 200
        assert (await gateway.get("/api/weather/me", headers=alice.headers)).status_code == 200
        status, services = await readiness(gateway)
        assert status == 503
        assert services["content"] == "down"
        assert all(state == "up" for name, state in services.items() if name != "content")
    finally:
        control.start("content")

    async def post_served() -> bool:
        return (await gateway.get(post_url)).status_code == 200

    assert await eventually(post_served), "content never answered again through the gateway"
    assert (await gateway.get(post_url)).json()["title"] == "before the outage"
    assert (await readiness(gateway))[0] == 200


async def test_auth_down_tokens_still_work_elsewhere(
    gateway: httpx.AsyncClient,
    control: Control,
    system: System,
    new_user: Callable[..., Awaitable[User]],
) -> None:
    """Services verify tokens with auth's public key, cached: an auth outage stops logins, not
    the rest. Once auth is back, logins work again and every service accepts the new tokens
    (even signed with a new key: an unknown key id makes a service fetch the keys again)."""
    user = await new_user("steady")
    # Each service fetches auth's public keys on the first token it sees, then caches them.
    warm = await gateway.post(
        "/api/posts", json={"title": "warm the key cache", "content": "x"}, headers=user.headers
    )
    assert warm.status_code == 201
    assert (await gateway.get("/api/weather/London", headers=user.headers)).status_code == 200

    control.stop("auth")
    try:
        login = await gateway.post(
            "/api/auth/token", data={"username": user.username, "password": user.password}
        )
        assert login.status_code == 503
        assert login.json() == {"detail": "auth service unavailable"}
        write = await gateway.post(
            "/api/posts", json={"title": "while auth is down", "content": "x"}, headers=user.headers
        )
        assert write.status_code == 201, write.text
        weather = await gateway.get(f"/api/weather/{unique_city('Steady')}", headers=user.headers)
        assert weather.status_code == 200
    finally:
        control.start("auth")

    async def fresh_token_works_everywhere() -> bool:
        login = await gateway.post(
            "/api/auth/token", data={"username": user.username, "password": user.password}
        )
        if login.status_code != 200:
            return False
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        me = await gateway.get("/api/users/me", headers=headers)
        post = await gateway.post(
            "/api/posts", json={"title": "after", "content": "x"}, headers=headers
        )
        return (me.status_code, post.status_code) == (200, 201)

    assert await eventually(fresh_token_works_everywhere), "logins did not recover after auth"
    if system.stable_signing_key:
        # make dev keeps auth's key in its data folder: a token from before the restart holds.
        assert (await gateway.get("/api/users/me", headers=user.headers)).status_code == 200


async def test_preferences_down_weather_says_why(
    gateway: httpx.AsyncClient, control: Control, alice: User
) -> None:
    """weather depends on preferences: its own answer is a 503 naming the missing service."""
    await gateway.put("/api/users/me/preferences", json={"city": "Paris"}, headers=alice.headers)
    control.stop("preferences")
    try:
        prefs = await gateway.get("/api/users/me/preferences", headers=alice.headers)
        assert prefs.status_code == 503
        assert prefs.json() == {"detail": "preferences service unavailable"}
        mine = await gateway.get("/api/weather/me", headers=alice.headers)
        assert mine.status_code == 503
        assert mine.json() == {"detail": "Preferences service unavailable"}
        city = await gateway.get("/api/weather/Paris", headers=alice.headers)
        assert city.status_code == 200
    finally:
        control.start("preferences")

    async def weather_for_me() -> bool:
        return (await gateway.get("/api/weather/me", headers=alice.headers)).status_code == 200

    assert await eventually(weather_for_me)


async def test_preferences_survive_a_restart_of_the_local_mongo(
    gateway: httpx.AsyncClient, system: System, alice: User
) -> None:
    """make dev's Mongo stand-in keeps its data in an SQLite file: a restart loses nothing, and
    while it is down the preferences service answers 503, not 500."""
    if system.supervisor is None:
        pytest.skip("the Mongo stand-in is part of E2E_STACK=local only")
    saved = await gateway.put(
        "/api/users/me/preferences",
        json={"city": "Lagos", "units": "imperial"},
        headers=alice.headers,
    )
    assert saved.status_code == 200

    system.supervisor.stop("mongo")
    try:
        down = await gateway.get("/api/users/me/preferences", headers=alice.headers)
        assert down.status_code == 503
    finally:
        system.supervisor.restart("mongo")

    async def preferences_back() -> bool:
        answer = await gateway.get("/api/users/me/preferences", headers=alice.headers)
        return answer.status_code == 200

    assert await eventually(preferences_back)
    kept = (await gateway.get("/api/users/me/preferences", headers=alice.headers)).json()
    assert (kept["city"], kept["units"]) == ("Lagos", "imperial")
