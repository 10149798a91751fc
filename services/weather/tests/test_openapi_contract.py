from inkwell_testing.openapi import assert_matches_committed
from weather_service.main import openapi_app


def test_live_openapi_matches_the_committed_contract() -> None:
    assert_matches_committed(openapi_app(), "weather")
