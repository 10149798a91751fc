import pytest
from pydantic import ValidationError

from preferences_service.core.config import DEV_MONGO_URL, PreferencesSettings
from preferences_service.main import create_app


def test_production_refuses_the_development_mongo_url() -> None:
    """The dev default has no credentials: a production deployment must name its MongoDB."""
    with pytest.raises(ValidationError, match="MONGO_URL"):
        PreferencesSettings(environment="production")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("MONGO_URL", "mongodb://prefs:s3cret@mongo:27017/?authSource=admin")
    monkeypatch.setenv("MONGO_DATABASE", "prefs")
    monkeypatch.setenv("MONGO_SERVER_SELECTION_TIMEOUT_MS", "750")

    app = create_app()

    settings = app.state.settings
    assert settings.mongo_url == "mongodb://prefs:s3cret@mongo:27017/?authSource=admin"
    assert (settings.mongo_database, settings.mongo_server_selection_timeout_ms) == ("prefs", 750)


def test_development_defaults_point_at_the_local_server() -> None:
    settings = PreferencesSettings(environment="development")

    assert settings.mongo_url == DEV_MONGO_URL == "mongodb://127.0.0.1:27017/?directConnection=true"
    assert settings.mongo_database == "inkwell"


@pytest.mark.parametrize(
    ("name", "value"), [("MONGO_SERVER_SELECTION_TIMEOUT_MS", "0"), ("MONGO_DATABASE", "")]
)
def test_nonsense_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError, match=name.lower()):
        PreferencesSettings()
