from inkwell_testing.openapi import assert_matches_committed
from preferences_service.main import openapi_app


def test_live_openapi_matches_the_committed_contract() -> None:
    assert_matches_committed(openapi_app(), "preferences")


def test_the_response_weather_relies_on_is_exactly_city_units_updated_at() -> None:
    """The weather service reads this response; a field change is a breaking change."""
    document = openapi_app().openapi()
    get = document["paths"]["/api/users/me/preferences"]["get"]
    schema_ref = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]

    assert sorted(schema["properties"]) == ["city", "units", "updated_at"]
    assert sorted(schema["required"]) == ["city", "units", "updated_at"]
