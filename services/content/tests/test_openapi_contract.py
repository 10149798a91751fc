from content_service.main import openapi_app
from inkwell_testing.openapi import assert_matches_committed


def test_live_openapi_matches_the_committed_contract() -> None:
    assert_matches_committed(openapi_app(), "content")
