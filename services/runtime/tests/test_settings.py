import os
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsError

from inkwell_runtime.db import DatabaseSettings
from inkwell_runtime.logging import configure_logging
from inkwell_runtime.settings import DEV_ONLY_MARKER, ServiceSettings, load_env_file

ROOT = Path(__file__).resolve().parents[3]


class WithSecret(ServiceSettings):
    secret: str = "dev-secret"

    def insecure_defaults(self) -> list[str]:
        return ["secret"] if self.secret == "dev-secret" else []


@pytest.mark.parametrize("environment", ["development", "test"])
def test_dev_defaults_are_fine_outside_production(environment: str) -> None:
    assert WithSecret(environment=environment).secret == "dev-secret"


def test_production_refuses_dev_defaults_and_names_them() -> None:
    with pytest.raises(ValidationError, match=r"refusing to start in production .*SECRET"):
        WithSecret(environment="production")


def test_production_accepts_explicit_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET", "from-the-vault")

    assert WithSecret().secret == "from-the-vault"
    assert ServiceSettings().environment == "production"


def test_unknown_environment_is_rejected() -> None:
    with pytest.raises(ValidationError):
        ServiceSettings(environment="staging")


def test_text_logging(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    configure_logging("svc", "INFO", json=False)
    logging.getLogger("x").info("hello")

    assert "INFO [svc] [-] [-] x: hello" in capsys.readouterr().err  # request id, trace id


class WithPassword(DatabaseSettings):
    database_url: str = "postgresql+asyncpg://app@db:5432/inkwell"
    api_key: str = ""


def test_a_setting_comes_from_the_file_its_name_file_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "database_password"
    secret.write_text("p@ss:w/rd\n")  # as `echo` writes it; the newline is not the password
    monkeypatch.setenv("DATABASE_PASSWORD_FILE", str(secret))
    monkeypatch.delenv("DATABASE_PASSWORD", raising=False)

    settings = WithPassword()

    assert settings.database_password == SecretStr("p@ss:w/rd")
    assert settings.database_dsn == "postgresql+asyncpg://app:p%40ss%3Aw%2Frd@db:5432/inkwell"
    assert WithPassword(database_password=None).database_dsn == settings.database_url


def test_a_name_and_its_file_together_or_a_missing_file_are_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_KEY_FILE", str(tmp_path / "absent"))
    with pytest.raises(SettingsError, match=r"API_KEY_FILE=.*absent: No such file"):
        WithPassword()
    (tmp_path / "absent").write_text("k")
    monkeypatch.setenv("API_KEY", "k")
    with pytest.raises(SettingsError, match="both API_KEY and API_KEY_FILE are set"):
        WithPassword()


def test_production_refuses_the_committed_dev_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """deploy/secrets/dev's values carry the marker: fine on a laptop, refused in production."""
    dev_password = (ROOT / "deploy/secrets/dev/database_password").read_text().strip()
    assert DEV_ONLY_MARKER in dev_password
    assert WithPassword(database_password=dev_password).database_password is not None

    with pytest.raises(ValidationError, match=r"development defaults for: DATABASE_PASSWORD;"):
        WithPassword(environment="production", database_password=dev_password)
    with pytest.raises(ValidationError, match=r"for: API_KEY;"):
        WithPassword(environment="production", api_key=f"x-{DEV_ONLY_MARKER}")
    with pytest.raises(ValidationError) as refused:
        WithPassword(environment="production", database_password=dev_password)
    assert dev_password not in str(refused.value)  # named, never echoed
    assert WithPassword(environment="production", database_password="vault").environment


def test_load_env_file_adds_what_the_environment_does_not_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comments and blank lines are fine\n\nLOG_LEVEL=DEBUG\n"
        "INKWELL_TEST_ONLY_FROM_FILE='quoted value'\nINKWELL_TEST_SHELL=from-file\n"
    )
    monkeypatch.setenv("INKWELL_TEST_SHELL", "from-shell")
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    monkeypatch.delenv("INKWELL_TEST_ONLY_FROM_FILE", raising=False)

    added = load_env_file(env_file)

    assert added == ["LOG_LEVEL", "INKWELL_TEST_ONLY_FROM_FILE"]
    assert os.environ["INKWELL_TEST_ONLY_FROM_FILE"] == "quoted value"
    assert os.environ["INKWELL_TEST_SHELL"] == "from-shell"
    assert load_env_file(tmp_path / "missing.env") == []
