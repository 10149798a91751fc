"""The city rule is one regex (``CITY_PATTERN``): the service enforces it, and the OpenAPI
document states it, so a client (or schemathesis) that follows the schema is never refused."""

import re
import unicodedata

import pytest
import respx
from httpx import AsyncClient

from weather_service.main import openapi_app
from weather_service.weather import CITY_PATTERN, is_valid_city

from .conftest import answer, j1

pytestmark = pytest.mark.anyio

BMP = [chr(code) for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF]


def letter_first(ch: str) -> bool:
    """The rule as it was written before it was a regex: a city starts with a letter ..."""
    return ch.isalpha()


def allowed_after(ch: str) -> bool:
    """... and goes on with letters, combining marks, spaces, hyphens, apostrophes and dots."""
    return ch.isalpha() or ch in " .'\u2019-" or unicodedata.category(ch).startswith("M")


def test_the_pattern_accepts_every_character_the_rule_did_and_no_other() -> None:
    """Every character of the Basic Multilingual Plane, first and after a letter."""
    wrong_first = [ch for ch in BMP if is_valid_city(ch) != letter_first(ch)]
    wrong_after = [ch for ch in BMP if is_valid_city("a" + ch) != allowed_after(ch)]

    assert wrong_first == []
    assert wrong_after == []
    assert sum(map(letter_first, BMP)) > 45_000  # the scripts are really there


def test_the_openapi_document_states_the_enforced_pattern() -> None:
    document = openapi_app().openapi()
    (city,) = (
        parameter
        for parameter in document["paths"]["/api/weather/{city}"]["get"]["parameters"]
        if parameter["name"] == "city"
    )

    assert city["schema"]["pattern"] == CITY_PATTERN
    assert (city["schema"]["minLength"], city["schema"]["maxLength"]) == (1, 100)


@pytest.mark.parametrize(
    "city",
    ["Zürich", "São Paulo", "N'Djamena", "St. John\u2019s", "東京", "Москва", "Cafe\u0301"],
)
def test_real_names_match_the_schema_pattern_as_json_schema_reads_it(city: str) -> None:
    """JSON Schema's ``pattern`` is unanchored (a search): the pattern anchors itself."""
    assert re.search(CITY_PATTERN, city)
    assert not re.search(CITY_PATTERN, city + "1")
    assert not re.search(CITY_PATTERN, "1" + city)


@pytest.mark.parametrize("city", ["\U00020000", "\U0001d400bc"])  # a rare ideograph, math bold A
async def test_letters_beyond_the_basic_plane_are_refused_before_the_provider(
    client: AsyncClient, auth_headers: dict[str, str], upstream: respx.Route, city: str
) -> None:
    upstream.mock(side_effect=answer(json=j1()))

    response = await client.get(f"/api/weather/{city}", headers=auth_headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"].startswith("Invalid city name")
    assert upstream.call_count == 0
