"""The preload plugin (``-p inkwell_testing.preload``, see the Makefile's test rule)."""

import sys

import pytest

from inkwell_testing.preload import preload


@pytest.mark.parametrize(
    "name", ["inkwell_runtime.app", "contracts", "weather_service.main", "gateway", "inkwell_e2e"]
)
def test_an_inkwell_package_is_refused(name: str) -> None:
    """Imported before coverage starts, it would not be measured."""
    with pytest.raises(pytest.UsageError, match=name):
        preload(["json", name])


def test_other_modules_are_imported() -> None:
    sys.modules.pop("colorsys", None)

    preload(["colorsys"])

    assert "colorsys" in sys.modules
