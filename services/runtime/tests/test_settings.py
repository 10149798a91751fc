import pytest
from pydantic import ValidationError

from inkwell_runtime.logging import configure_logging
from inkwell_runtime.settings import ServiceSettings


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
