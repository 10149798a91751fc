"""The service registry: what it refuses, how it orders routes, how it is swapped."""

import sys
from pathlib import Path

import pytest

from contracts.registry import REGISTRY, Registry, Service, current


def test_every_service_is_listed_once_with_its_conventions() -> None:
    assert REGISTRY.names == ("auth", "content", "preferences", "media", "weather")
    weather = REGISTRY["weather"]
    assert (weather.package, weather.module, weather.path) == (
        "weather-service",
        "weather_service",
        "services/weather",
    )
    assert weather.factory == "weather_service.main:create_app"
    assert weather.local_url() == "http://127.0.0.1:8005"
    assert weather.calls == ("preferences",)
    assert [s.name for s in REGISTRY.storing("postgres")] == ["auth", "content"]


@pytest.mark.parametrize(
    ("services", "message"),
    [
        ((Service("a", 1, ()), Service("a", 2, ())), "share a name"),
        ((Service("a", 1, ()), Service("b", 1, ())), "share a port offset"),
        ((Service("a", 1, (), calls=("ghost",)),), "a calls unknown service"),
    ],
)
def test_an_inconsistent_registry_is_refused(services: tuple[Service, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Registry(services)


@pytest.mark.parametrize(
    ("name", "offset", "message"),
    [("Notes", 6, "lower-case"), ("notes", 0, "outside 1..8"), ("notes", 9, "outside 1..8")],
)
def test_a_service_needs_a_plain_name_and_a_free_offset(
    name: str, offset: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Service(name, offset, ())


def test_routes_come_most_specific_first() -> None:
    patterns = [pattern for pattern, _ in REGISTRY.routes()]
    tails = [p for p in patterns if ":path}" in p]
    assert patterns[-len(tails) :] == tails  # {x:path} tails after every other pattern
    assert patterns.index("/api/users/me/preferences") < patterns.index("/api/users/{user_id}")
    assert patterns.index("/api/users/{user_id}/posts") < patterns.index("/api/users/{user_id}")


def test_another_registry_can_be_swapped_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "other_registry.py").write_text(
        "from contracts.registry import REGISTRY, Service\n"
        "REGISTRY = REGISTRY.with_service(Service('notes', 6, ('/api/notes',)))\n"
        "NOT_A_REGISTRY = 42\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("INKWELL_REGISTRY", "other_registry:REGISTRY")
    try:
        assert current().names[-1] == "notes"
        assert ("/api/notes", "notes") in current().routes()
        monkeypatch.setenv("INKWELL_REGISTRY", "other_registry:NOT_A_REGISTRY")
        with pytest.raises(TypeError, match=r"is not a contracts\.registry\.Registry"):
            current()
    finally:
        sys.modules.pop("other_registry", None)
    monkeypatch.delenv("INKWELL_REGISTRY")
    assert current() is REGISTRY
