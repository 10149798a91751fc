"""``make lint``'s package check (``inkwell_devstack.isolated``): which packages it builds, and
that a package needing what it does not declare fails the check (the real venvs are built by
``make lint`` itself, not here: seconds each)."""

from pathlib import Path

import pytest

from contracts.registry import current
from inkwell_devstack import isolated


def test_every_service_and_the_gateway_is_checked() -> None:
    checked = dict(isolated.packages())

    assert checked == {
        **{s.package: f"{s.module}.main" for s in current()},
        "gateway": "gateway.main",
    }


def test_a_package_that_fails_to_build_fails_the_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fake(root: Path, package: str, module: str, venv: Path) -> str | None:
        return (
            "ModuleNotFoundError: No module named 'limits'"
            if package == "weather-service"
            else None
        )

    monkeypatch.setattr(isolated, "check", fake)

    assert isolated.main([]) == 1
    out = capsys.readouterr().out
    assert "✗ weather-service" in out and "No module named 'limits'" in out
    assert "✓ gateway" in out
    assert "1 package(s) need what they do not declare" in out


def test_all_building_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolated, "check", lambda *args: None)

    assert isolated.main([]) == 0
