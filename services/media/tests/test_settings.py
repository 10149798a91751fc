"""Dev defaults that must never reach production, and what the S3 client is built with."""

from typing import Any

import pytest
from pydantic import ValidationError

from media_service.core.config import MediaSettings

PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "s3_bucket": "acme-inkwell-pictures",
    "public_base_url": "https://inkwell.example.com",
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)


def test_production_refuses_the_development_defaults() -> None:
    with pytest.raises(ValidationError, match="S3_BUCKET, PUBLIC_BASE_URL"):
        MediaSettings(environment="production")


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"aws_endpoint_url_s3": "http://127.0.0.1:4566"}, "AWS_ENDPOINT_URL_S3"),
        ({"aws_endpoint_url": "http://localhost:4566"}, "AWS_ENDPOINT_URL"),
        ({"aws_access_key_id": "test"}, "AWS_ACCESS_KEY_ID"),
        ({"aws_secret_access_key": "test"}, "AWS_SECRET_ACCESS_KEY"),
    ],
)
def test_production_refuses_a_local_endpoint_or_test_credentials(
    overrides: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        MediaSettings(**PRODUCTION, **overrides)


def test_production_uses_aws_and_the_credential_chain() -> None:
    """Nothing set: botocore finds the credentials (env, profile, instance or pod role)."""
    kwargs = MediaSettings(**PRODUCTION).s3_client_kwargs()

    assert kwargs["endpoint_url"] is None
    assert "aws_access_key_id" not in kwargs
    assert "aws_secret_access_key" not in kwargs
    assert "verify" not in kwargs
    assert kwargs["config"].s3 == {"addressing_style": "auto"}


def test_production_accepts_an_explicit_endpoint_and_keys() -> None:
    kwargs = MediaSettings(
        **PRODUCTION,
        aws_endpoint_url_s3="https://minio.internal:9000",
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="s3cret",
    ).s3_client_kwargs()

    assert kwargs["endpoint_url"] == "https://minio.internal:9000"
    assert kwargs["aws_access_key_id"] == "AKIAEXAMPLE"
    assert kwargs["aws_secret_access_key"] == "s3cret"
    assert "verify" not in kwargs  # TLS is verified
    assert kwargs["config"].s3 == {"addressing_style": "path"}


def test_development_defaults_to_the_local_endpoint_and_test_credentials() -> None:
    kwargs = MediaSettings(environment="development").s3_client_kwargs()

    assert kwargs["endpoint_url"] == "http://127.0.0.1:4566"
    assert (kwargs["aws_access_key_id"], kwargs["aws_secret_access_key"]) == ("test", "test")
    assert kwargs["verify"] is False  # plain HTTP: there is no certificate to verify


@pytest.mark.parametrize(
    ("given", "passed"),
    [
        ({"aws_access_key_id": "AKIAEXAMPLE"}, {"aws_access_key_id": "AKIAEXAMPLE"}),
        ({"aws_secret_access_key": "s3cret"}, {"aws_secret_access_key": "s3cret"}),
    ],
)
def test_a_lone_credential_is_passed_as_given(
    given: dict[str, Any], passed: dict[str, str]
) -> None:
    """Not topped up with ``test``: botocore reports the missing half clearly."""
    kwargs = MediaSettings(environment="development", **given).s3_client_kwargs()

    assert {k: v for k, v in kwargs.items() if k.startswith("aws_")} == passed


def test_the_standard_aws_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://generic:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://localstack:4566")
    monkeypatch.setenv("S3_BUCKET", "pictures")
    monkeypatch.setenv("MAX_UPLOAD_BYTES", "1024")

    settings = MediaSettings()

    assert settings.endpoint_url == "http://localstack:4566"  # the S3-specific one wins
    assert settings.s3_bucket == "pictures"
    assert settings.max_upload_bytes == 1024


def test_timeouts_and_attempts_reach_the_client() -> None:
    config = MediaSettings(
        s3_connect_timeout_seconds=0.5, s3_read_timeout_seconds=3, s3_max_attempts=1
    ).s3_client_kwargs()["config"]

    assert (config.connect_timeout, config.read_timeout) == (0.5, 3)
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}


def test_only_production_expects_the_bucket_to_exist() -> None:
    assert MediaSettings(environment="test").creates_bucket
    assert MediaSettings(environment="development").creates_bucket
    assert not MediaSettings(**PRODUCTION).creates_bucket
