import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from fastapi import FastAPI
from httpx import AsyncClient
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from inkwell_testing.tokens import TestSigner
from preferences_service.api.deps import get_database
from preferences_service.mongo import COLLECTION, Document, create_indexes, database

from .conftest import DATABASE_PREFIX

pytestmark = pytest.mark.anyio

URL = "/api/users/me/preferences"
T1 = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
T2 = datetime(2026, 11, 22, 10, 45, tzinfo=UTC)


async def stored(collection: AsyncCollection[Document]) -> list[Document]:
    return await collection.find({}, projection={"_id": False}).to_list()


async def test_get_before_any_save_is_404(client: AsyncClient, headers: dict[str, str]) -> None:
    response = await client.get(URL, headers=headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "Preferences not found"}


async def test_put_saves_and_get_returns_them(
    client: AsyncClient,
    headers: dict[str, str],
    user_id: uuid.UUID,
    collection: AsyncCollection[Document],
) -> None:
    with time_machine.travel(T1, tick=False):
        saved = await client.put(URL, json={"city": "Oslo", "units": "imperial"}, headers=headers)
    read = await client.get(URL, headers=headers)

    expected = {"city": "Oslo", "units": "imperial", "updated_at": "2026-11-22T09:30:00Z"}
    assert saved.status_code == 200
    assert saved.json() == expected
    assert read.status_code == 200
    assert read.json() == expected
    assert await stored(collection) == [
        {"user_id": str(user_id), "city": "Oslo", "units": "imperial", "updated_at": T1}
    ]


async def test_units_default_to_metric(client: AsyncClient, headers: dict[str, str]) -> None:
    response = await client.put(URL, json={"city": "Lyon"}, headers=headers)

    assert response.status_code == 200
    assert response.json()["units"] == "metric"


async def test_updated_at_is_the_server_clock_in_utc(
    client: AsyncClient, headers: dict[str, str], collection: AsyncCollection[Document]
) -> None:
    """Without time-machine: a real, timezone-aware UTC time, whatever the client sends."""
    before = datetime.now(UTC).replace(microsecond=0)

    response = await client.put(
        URL, json={"city": "Quito", "updated_at": "1999-01-01T00:00:00Z"}, headers=headers
    )

    updated_at = datetime.fromisoformat(response.json()["updated_at"])
    assert updated_at.tzinfo == UTC
    assert updated_at >= before
    [document] = await stored(collection)
    assert document["updated_at"] == updated_at


async def test_put_again_overwrites_the_same_document(
    client: AsyncClient,
    headers: dict[str, str],
    collection: AsyncCollection[Document],
) -> None:
    with time_machine.travel(T1, tick=False) as traveller:
        await client.put(URL, json={"city": "Oslo", "units": "imperial"}, headers=headers)
        traveller.move_to(T2)

        response = await client.put(URL, json={"city": "Bergen"}, headers=headers)

    assert response.status_code == 200
    assert response.json() == {
        "city": "Bergen",
        "units": "metric",
        "updated_at": "2026-11-22T10:45:00Z",
    }
    assert [(d["city"], d["units"], d["updated_at"]) for d in await stored(collection)] == [
        ("Bergen", "metric", T2)
    ]


async def test_city_is_trimmed_and_100_characters_fit(
    client: AsyncClient, headers: dict[str, str]
) -> None:
    city = "X" * 100

    response = await client.put(URL, json={"city": f"  {city} "}, headers=headers)

    assert response.status_code == 200
    assert response.json()["city"] == city


async def test_delete_forgets_them(
    client: AsyncClient, headers: dict[str, str], collection: AsyncCollection[Document]
) -> None:
    await client.put(URL, json={"city": "Oslo"}, headers=headers)

    deleted = await client.delete(URL, headers=headers)
    read = await client.get(URL, headers=headers)

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert read.status_code == 404
    assert await stored(collection) == []


async def test_delete_without_preferences_is_still_204(
    client: AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.delete(URL, headers=headers)

    assert response.status_code == 204


async def test_each_user_sees_and_changes_only_their_own(
    client: AsyncClient, signer: TestSigner, collection: AsyncCollection[Document]
) -> None:
    alice, bob = uuid.uuid4(), uuid.uuid4()
    as_alice, as_bob = signer.bearer(user_id=alice), signer.bearer(user_id=bob, username="bob")
    await client.put(URL, json={"city": "Oslo"}, headers=as_alice)

    bob_before = await client.get(URL, headers=as_bob)
    await client.put(URL, json={"city": "Rome", "units": "imperial"}, headers=as_bob)
    alice_after_bob_saved = await client.get(URL, headers=as_alice)
    await client.delete(URL, headers=as_bob)
    alice_after_bob_deleted = await client.get(URL, headers=as_alice)

    assert bob_before.status_code == 404
    assert alice_after_bob_saved.json()["city"] == "Oslo"
    assert alice_after_bob_deleted.json()["city"] == "Oslo"
    assert [(d["user_id"], d["city"]) for d in await stored(collection)] == [(str(alice), "Oslo")]


async def test_one_document_per_user_under_concurrent_first_saves(
    client: AsyncClient,
    headers: dict[str, str],
    user_id: uuid.UUID,
    collection: AsyncCollection[Document],
) -> None:
    """Twenty first saves at once: all succeed, and the unique index leaves a single document."""
    cities = [f"City {i}" for i in range(20)]

    responses = await asyncio.gather(
        *(client.put(URL, json={"city": city}, headers=headers) for city in cities)
    )

    assert [r.status_code for r in responses] == [200] * len(cities)
    documents = await stored(collection)
    assert len(documents) == 1
    assert documents[0]["user_id"] == str(user_id)
    assert documents[0]["city"] in cities


async def test_the_unique_index_exists_at_startup_and_rejects_a_second_document(
    client: AsyncClient, collection: AsyncCollection[Document]
) -> None:
    """The lifespan created it before any request; MongoDB itself refuses a duplicate user."""
    indexes = await collection.index_information()
    await collection.insert_one({"user_id": "u-1", "city": "Oslo"})

    with pytest.raises(DuplicateKeyError):
        await collection.insert_one({"user_id": "u-1", "city": "Rome"})

    assert indexes["user_id_unique"]["unique"] is True
    assert indexes["user_id_unique"]["key"] == [("user_id", 1)]
    assert await collection.count_documents({"user_id": "u-1"}) == 1


async def test_reads_whatever_database_the_dependency_gives(
    app: FastAPI,
    client: AsyncClient,
    mongo_client: AsyncMongoClient[Document],
    signer: TestSigner,
) -> None:
    """The seed pattern: swap the database dependency for one seeded directly by the test."""
    user = uuid.uuid4()
    seeded = database(mongo_client, DATABASE_PREFIX + "seed_" + uuid.uuid4().hex[:8])
    await create_indexes(seeded)
    await seeded[COLLECTION].insert_one(
        {"user_id": str(user), "city": "Nairobi", "units": "metric", "updated_at": T1}
    )
    app.dependency_overrides[get_database] = lambda: seeded
    try:
        response = await client.get(URL, headers=signer.bearer(user_id=user))
    finally:
        await mongo_client.drop_database(seeded.name)

    assert response.status_code == 200
    assert response.json() == {
        "city": "Nairobi",
        "units": "metric",
        "updated_at": "2026-11-22T09:30:00Z",
    }


INVALID: dict[str, tuple[Any, list[Any], str]] = {
    "no city": ({"units": "metric"}, ["body", "city"], "missing"),
    "empty city": ({"city": ""}, ["body", "city"], "string_too_short"),
    "blank city": ({"city": "   "}, ["body", "city"], "string_too_short"),
    "city too long": ({"city": "X" * 101}, ["body", "city"], "string_too_long"),
    "city not text": ({"city": 42}, ["body", "city"], "string_type"),
    "unknown units": ({"city": "Oslo", "units": "kelvin"}, ["body", "units"], "enum"),
    "not an object": (["Oslo"], ["body"], "model_attributes_type"),
}


@pytest.mark.parametrize(("body", "loc", "kind"), INVALID.values(), ids=INVALID.keys())
async def test_invalid_bodies_are_422_and_store_nothing(
    client: AsyncClient,
    headers: dict[str, str],
    collection: AsyncCollection[Document],
    body: Any,
    loc: list[Any],
    kind: str,
) -> None:
    response = await client.put(URL, json=body, headers=headers)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (loc, kind)
    assert await stored(collection) == []


async def test_malformed_json_is_422(client: AsyncClient, headers: dict[str, str]) -> None:
    response = await client.put(
        URL, content=b'{"city": ', headers={**headers, "Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_without_a_token_is_401(
    client: AsyncClient, collection: AsyncCollection[Document], method: str
) -> None:
    response = await client.request(method, URL, json={"city": "Oslo"})

    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert await stored(collection) == []


BAD_TOKENS = {
    "expired": lambda s: s.expired(),
    "foreign key": lambda s: s.foreign(),
    "alg none": lambda s: s.alg_none(),
    "sub not a uuid": lambda s: s.token(sub="admin"),
}


@pytest.mark.parametrize("make_token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
async def test_an_invalid_token_is_401(
    client: AsyncClient,
    signer: TestSigner,
    collection: AsyncCollection[Document],
    make_token: Any,
) -> None:
    """The shared verifier (tested in depth in the runtime); here: a bad token writes nothing."""
    headers = {"Authorization": f"Bearer {make_token(signer)}"}

    response = await client.put(URL, json={"city": "Oslo"}, headers=headers)

    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials"}
    assert await stored(collection) == []
