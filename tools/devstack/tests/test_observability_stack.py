"""The compose `observability` profile's files: Prometheus scrapes every registered service,
the collector sends traces to Jaeger, and the Grafana dashboard is linted (valid, every panel
on a provisioned data source, every metric it charts one the apps export)."""

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from contracts.registry import GATEWAY_PORT, REGISTRY
from inkwell_devstack.config import find_root

ROOT = find_root()
OBSERVABILITY = ROOT / "deploy" / "observability"
DASHBOARD = OBSERVABILITY / "grafana" / "dashboards" / "inkwell.json"
GRID_COLUMNS = 24
METRIC = re.compile(r"\b((?:http_server|db_pool|gateway|weather)_[a-z_]+)\b")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_prometheus_scrapes_every_registered_service_on_its_own_port() -> None:
    (job,) = load(OBSERVABILITY / "prometheus.yml")["scrape_configs"]
    targets = {config["labels"]["service"]: config["targets"] for config in job["static_configs"]}

    assert job["metrics_path"] == "/metrics"
    assert targets == {
        "gateway": [f"gateway:{GATEWAY_PORT}"],
        **{service.name: [f"{service.name}:{service.port()}"] for service in REGISTRY},
    }


def test_the_collector_sends_traces_to_jaeger_and_the_compose_file_wires_them() -> None:
    collector = load(OBSERVABILITY / "otel-collector.yml")
    compose = load(ROOT / "docker-compose.yml")
    env_file = (ROOT / "deploy" / "observability.env").read_text()

    pipeline = collector["service"]["pipelines"]["traces"]
    assert pipeline["receivers"] == ["otlp"]
    assert collector["exporters"][pipeline["exporters"][0]]["endpoint"] == "jaeger:4317"
    assert "INKWELL_OTLP_ENDPOINT=http://otel-collector:4318" in env_file.splitlines()
    for name in ("otel-collector", "jaeger", "prometheus", "grafana"):
        block = compose["services"][name]
        assert block["profiles"] == ["observability"]
        assert re.search(r":v?\d+\.\d+\.\d+$", block["image"]), f"{name}: pin its image"


def test_grafana_provisions_the_dashboard_and_its_data_sources() -> None:
    provisioning = OBSERVABILITY / "grafana" / "provisioning"
    (provider,) = load(provisioning / "dashboards" / "dashboards.yml")["providers"]
    compose = load(ROOT / "docker-compose.yml")["services"]["grafana"]

    mounted = {volume.split(":")[1]: volume.split(":")[0] for volume in compose["volumes"]}
    assert ROOT / mounted[provider["options"]["path"]] == DASHBOARD.parent


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def test_the_dashboard_is_well_formed() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    sources = load(OBSERVABILITY / "grafana" / "provisioning" / "datasources" / "datasources.yml")
    uids = {source["uid"] for source in sources["datasources"]}

    assert dashboard["uid"] and dashboard["title"]
    ids = [panel["id"] for panel in panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    for panel in panels(dashboard):
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= GRID_COLUMNS, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] in uids, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] in uids
            assert target["expr"].count("(") == target["expr"].count(")"), target["expr"]


async def exported(app: FastAPI) -> set[str]:
    """The sample names an app's ``/metrics`` shows once started."""
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        await client.get("/healthz")  # one request: the labelled series exist
        text = (await client.get("/metrics")).text
    return {
        sample.name for family in text_string_to_metric_families(text) for sample in family.samples
    }


@pytest.fixture
async def metric_names() -> AsyncIterator[set[str]]:
    from content_service.core.config import ContentSettings
    from content_service.main import create_app as content_app
    from gateway.core.config import GatewaySettings
    from gateway.main import create_app as gateway_app
    from weather_service.core.config import WeatherSettings
    from weather_service.main import create_app as weather_app

    names = set()
    names |= await exported(gateway_app(GatewaySettings(environment="test")))
    names |= await exported(weather_app(WeatherSettings(environment="test")))
    names |= await exported(content_app(ContentSettings(environment="test")))  # the DB pool
    yield names


@pytest.mark.anyio
async def test_every_charted_metric_is_one_the_apps_export(metric_names: set[str]) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    charted = {
        name
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
        for name in METRIC.findall(target["expr"])
    }

    assert charted, "the dashboard charts Inkwell's metrics"
    assert charted - metric_names == set()
