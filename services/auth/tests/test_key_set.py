"""Auth's key set: keys from a mounted directory and/or a setting, all published, one signing."""

from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient
from jose import jwt
from pydantic import ValidationError

from auth_service.core.config import AuthSettings
from auth_service.keys import KeySetError, load_key_set
from auth_service.main import create_app
from inkwell_runtime.jwt import SigningKey

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def pems() -> dict[str, str]:
    return {kid: SigningKey.generate(bits=1024).private_pem for kid in ("2026-10", "2026-11")}


def keys_dir(tmp_path: Path, pems: dict[str, str]) -> Path:
    for kid, pem in pems.items():
        (tmp_path / f"{kid}.pem").write_text(pem)
    # a Kubernetes Secret mounts its other entries beside the keys: not keys
    (tmp_path / "JWT_SIGNING_KID").write_text("2026-11")
    return tmp_path


async def test_jwks_publishes_every_key_and_the_named_one_signs(
    tmp_path: Path, pems: dict[str, str]
) -> None:
    settings = AuthSettings(
        environment="test", jwt_keys_dir=keys_dir(tmp_path, pems), jwt_signing_kid="2026-11"
    )
    app = create_app(settings)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://auth") as client:
        response = await client.get("/api/auth/jwks.json")

    assert response.status_code == 200
    assert [key["kid"] for key in response.json()["keys"]] == ["2026-10", "2026-11"]
    token = app.state.signing_key.issue(
        subject="u", username="alice", roles=["user"], issuer="i", audience="a", ttl_seconds=60
    )
    assert jwt.get_unverified_header(token)["kid"] == "2026-11"


def test_a_directory_and_the_single_key_setting_add_up(
    tmp_path: Path, pems: dict[str, str]
) -> None:
    extra = SigningKey.generate(bits=1024)
    keys = load_key_set(
        AuthSettings(
            environment="test",
            jwt_keys_dir=keys_dir(tmp_path, pems),
            jwt_private_key=extra.private_pem,
            jwt_key_id="from-env",
            jwt_signing_kid="from-env",
        )
    )

    assert [key.kid for key in keys.keys] == ["2026-10", "2026-11", "from-env"]
    assert keys.signing.public_jwk["n"] == extra.public_jwk["n"]


def test_several_keys_need_a_signing_kid(tmp_path: Path, pems: dict[str, str]) -> None:
    settings = AuthSettings(environment="test", jwt_keys_dir=keys_dir(tmp_path, pems))

    with pytest.raises(
        KeySetError, match="JWT_SIGNING_KID must name the signing key, one of: 2026-10, 2026-11"
    ):
        create_app(settings)


def test_the_signing_kid_must_be_in_the_set(tmp_path: Path, pems: dict[str, str]) -> None:
    settings = AuthSettings(
        environment="test", jwt_keys_dir=keys_dir(tmp_path, pems), jwt_signing_kid="2025-01"
    )

    with pytest.raises(KeySetError, match=r"JWT_SIGNING_KID='2025-01' is not in the key set"):
        load_key_set(settings)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "holds no <kid>.pem file"),
        ({"broken.pem": "not a key"}, "broken.pem: not an RSA private key in PEM"),
        ({"bad kid!.pem": "x"}, "a key id is letters, digits"),
    ],
)
def test_a_bad_key_directory_is_named(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)

    with pytest.raises(KeySetError, match=message):
        load_key_set(AuthSettings(environment="test", jwt_keys_dir=tmp_path))


def test_a_missing_key_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(KeySetError, match="is not a directory"):
        load_key_set(AuthSettings(environment="test", jwt_keys_dir=tmp_path / "absent"))


def test_two_keys_with_one_kid_are_refused() -> None:
    pem = SigningKey.generate(bits=1024).private_pem
    from auth_service.keys import KeySet

    with pytest.raises(KeySetError, match="two keys share a key id"):
        KeySet([SigningKey(pem, kid="same"), SigningKey(pem, kid="same")])


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ("development", "EXPECTED_REPLICAS=2 needs one key set shared by every replica"),
        # production refuses an ephemeral key with any number of replicas
        ("production", "development defaults for: JWT_PRIVATE_KEY"),
    ],
)
def test_several_replicas_refuse_an_ephemeral_key(environment: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AuthSettings(
            environment=environment,
            expected_replicas=2,
            database_url="postgresql+asyncpg://auth:s3cret@db:5432/auth",
        )


def test_production_replicas_start_with_a_mounted_key_set(
    tmp_path: Path, pems: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("EXPECTED_REPLICAS", "3")
    monkeypatch.setenv("JWT_KEYS_DIR", str(keys_dir(tmp_path, pems)))
    monkeypatch.setenv("JWT_SIGNING_KID", "2026-10")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://auth:s3cret@db:5432/auth")
    monkeypatch.setenv("EMAIL_BACKEND", "smtp")  # production refuses the logging sender

    first, second = create_app(), create_app()

    assert first.state.signing_key.kid == second.state.signing_key.kid == "2026-10"
    assert first.state.key_set.jwks() == second.state.key_set.jwks()
