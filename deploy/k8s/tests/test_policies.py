"""Policies over the rendered Kubernetes manifests (``kubectl kustomize`` of each overlay).

The expected network edges are worked out here from the registry, not taken from the
generator, so a generator that drifts from the registry fails.
"""

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.registry import REGISTRY, Service
from inkwell_devstack import k8s

ROOT = Path(__file__).resolve().parents[3]
OVERLAYS = ("local", "production")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")
Objects = list[dict[str, Any]]


@cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is missing: it renders the overlays (kubectl kustomize)")
    out = subprocess.run(  # noqa: S603
        [kubectl, "kustomize", str(ROOT / "deploy" / "k8s" / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return tuple(doc for doc in yaml.safe_load_all(out) if doc)


def of_kind(objects: Any, *kinds: str) -> Objects:
    return [o for o in objects if o["kind"] in kinds]


def named(objects: Any, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in of_kind(objects, kind)}


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: dict[str, Any]) -> Objects:
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def app(selector: dict[str, Any]) -> str:
    name: str = selector["matchLabels"]["app.kubernetes.io/name"]
    return name


APPS = ("gateway", *REGISTRY.names)


def expected_edges() -> set[tuple[str, str]]:
    """gateway → every service; every service → auth (JWKS); each service → what it calls."""
    edges = {("gateway", name) for name in REGISTRY.names}
    edges |= {(name, "auth") for name in REGISTRY.names if name != "auth"}
    edges |= {(s.name, callee) for s in REGISTRY for callee in s.calls}
    return edges


@pytest.fixture(params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[dict[str, Any], ...]:
    return render(request.param)


def test_every_app_has_its_deployment_service_autoscaler_and_budget(
    rendered: tuple[dict[str, Any], ...],
) -> None:
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        assert set(APPS) <= set(named(rendered, kind)), kind
    for name, hpa in named(rendered, "HorizontalPodAutoscaler").items():
        assert hpa["spec"]["scaleTargetRef"]["name"] == name
        assert hpa["spec"]["minReplicas"] >= 2, "one replica is no replica set"


def test_every_deployment_has_probes_limits_and_a_graceful_drain(
    rendered: tuple[dict[str, Any], ...],
) -> None:
    for deployment in of_kind(rendered, "Deployment"):
        name = deployment["metadata"]["name"]
        spec = pod_spec(deployment)
        for container in spec["containers"]:
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
            assert container["startupProbe"]["httpGet"]["path"] == "/healthz", name
            readiness = container["readinessProbe"]["httpGet"]["path"]
            # the gateway's /readyz asks every service: one down must not empty its Service
            assert readiness == ("/healthz" if name == "gateway" else "/readyz"), name
            sleep = container["lifecycle"]["preStop"]["exec"]["command"]
            assert sleep[0] == "sleep", name
            env = {e["name"]: e.get("value") for e in container["env"]}
            drain = int(env["SHUTDOWN_DRAIN_SECONDS"])
            assert drain > 4, f"{name}: the drain outlasts the gateway's 4 s keep-alive"
            in_flight = int(env["SHUTDOWN_TIMEOUT_SECONDS"])
            # preStop, then SIGTERM's drain, then in-flight requests: all before SIGKILL
            assert spec["terminationGracePeriodSeconds"] > int(sleep[1]) + drain + in_flight, name
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, name
        assert "replicas" not in deployment["spec"], f"{name}: its autoscaler sets replicas"


def test_every_container_has_limits_and_a_pinned_image(
    rendered: tuple[dict[str, Any], ...],
) -> None:
    for workload in of_kind(rendered, *WORKLOAD_KINDS):
        for container in containers(workload):
            where = f"{workload['metadata']['name']}/{container['name']}"
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), where
            assert {"cpu", "memory"} <= set(resources["limits"]), where
            image = container["image"]
            assert re.search(r":[\w][\w.-]*(@sha256:[0-9a-f]{64})?$", image.split("/")[-1]), where
            assert not image.endswith(":latest"), where


def test_inkwell_pods_run_locked_down(rendered: tuple[dict[str, Any], ...]) -> None:
    """Non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp."""
    ours = [
        w
        for w in of_kind(rendered, "Deployment", "Job")
        if w["metadata"]["name"] in APPS or w["metadata"]["name"].endswith("-migrate")
    ]
    assert len(ours) >= len(APPS)
    for workload in ours:
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        for container in containers(workload):
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]


def test_migrations_run_as_jobs_and_pods_wait_for_them(
    rendered: tuple[dict[str, Any], ...],
) -> None:
    jobs = named(rendered, "Job")
    deployments = named(rendered, "Deployment")
    for service in REGISTRY.storing("postgres"):
        job = jobs[f"{service.name}-migrate"]
        assert containers(job)[0]["command"][-1] == service.module
        init = pod_spec(deployments[service.name])["initContainers"]
        assert init[0]["command"][-2:] == ["--wait", service.module]
    assert set(jobs) == {f"{s.name}-migrate" for s in REGISTRY.storing("postgres")}


def _policies(rendered: tuple[dict[str, Any], ...]) -> Objects:
    return [p["spec"] for p in of_kind(rendered, "NetworkPolicy")]


def test_everything_is_denied_unless_a_policy_allows_it(
    rendered: tuple[dict[str, Any], ...],
) -> None:
    assert {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]} in _policies(rendered)


def test_every_registry_edge_has_a_policy_and_nothing_else_does(
    rendered: tuple[dict[str, Any], ...],
) -> None:
    ingress: set[tuple[str, str]] = set()
    egress: set[tuple[str, str]] = set()
    for spec in _policies(rendered):
        if not spec["podSelector"]:
            continue
        target = app(spec["podSelector"])
        for rule in spec.get("ingress", []):
            for peer in rule["from"]:
                if "podSelector" in peer and target in APPS:
                    ingress.add((app(peer["podSelector"]), target))
        for rule in spec.get("egress", []):
            for peer in rule.get("to", []):
                if "podSelector" in peer:
                    egress.add((target, app(peer["podSelector"])))
    assert ingress == expected_edges()
    assert egress == expected_edges()


def test_only_the_gateway_takes_traffic_from_outside(
    rendered: tuple[dict[str, Any], ...],
) -> None:
    from_outside = {
        app(spec["podSelector"])
        for spec in _policies(rendered)
        if spec["podSelector"]
        for rule in spec.get("ingress", [])
        for peer in rule["from"]
        if "podSelector" not in peer
    }
    assert from_outside == {"gateway"}
    ingresses = of_kind(rendered, "Ingress")
    backends = {
        path["backend"]["service"]["name"]
        for ingress in ingresses
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"gateway"}
    services = named(rendered, "Service")
    assert {s["spec"].get("type", "ClusterIP") for s in services.values()} == {"ClusterIP"}
    # headless: the gateway balances over every pod of a service (gateway/balancing.py)
    assert all(services[name]["spec"]["clusterIP"] == "None" for name in REGISTRY.names)
    assert "clusterIP" not in services["gateway"]["spec"]


def test_local_stores_admit_their_users_only() -> None:
    rendered = render("local")
    admitted: dict[str, set[str]] = {}
    for spec in _policies(rendered):
        target = app(spec["podSelector"]) if spec["podSelector"] else ""
        if target in {name for name, _ in k8s.LOCAL_STORES.values()}:
            admitted[target] = {
                app(peer["podSelector"])
                for rule in spec.get("ingress", [])
                for peer in rule["from"]
            }
    assert admitted == {
        "postgres": {s.name for s in REGISTRY.storing("postgres")}
        | {f"{s.name}-migrate" for s in REGISTRY.storing("postgres")},
        "mongo": {s.name for s in REGISTRY.storing("mongo")},
        "localstack": {s.name for s in REGISTRY.storing("s3")},
        # the login limits (per client, failed logins per account) and weather's report cache
        "redis": {"gateway", "auth", "weather"},
    }
    assert {s["metadata"]["name"] for s in of_kind(rendered, "StatefulSet")} == {
        "postgres",
        "mongo",
        "localstack",
        "redis",
    }


def test_production_keeps_no_secret_and_runs_no_store() -> None:
    rendered = render("production")
    assert of_kind(rendered, "Secret") == []
    assert of_kind(rendered, "StatefulSet") == []
    config = named(rendered, "ConfigMap")["inkwell-config"]["data"]
    assert config["ENVIRONMENT"] == "production"
    namespace = of_kind(rendered, "Namespace")[0]["metadata"]["labels"]
    assert namespace["pod-security.kubernetes.io/enforce"] == "restricted"
    images = {c["image"] for w in of_kind(rendered, "Deployment") for c in containers(w)}
    assert all(i.startswith(k8s.PRODUCTION_REGISTRY + "/") for i in images)


def test_the_gateway_limits_clients_not_the_ingress_controller() -> None:
    gateway = named(render("production"), "Deployment")["gateway"]
    env = {e["name"]: e.get("value") for e in pod_spec(gateway)["containers"][0]["env"]}
    assert env["FORWARDED_ALLOW_IPS"] == "*"


def test_auth_replicas_share_one_mounted_key_set() -> None:
    auth = named(render("production"), "Deployment")["auth"]
    spec = pod_spec(auth)
    container = spec["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["JWT_KEYS_DIR"]["value"] == k8s.KEYS_DIR
    assert env["JWT_SIGNING_KID"]["valueFrom"]["secretKeyRef"]["name"] == k8s.AUTH_KEYS_SECRET
    assert int(env["EXPECTED_REPLICAS"]["value"]) >= 2
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["auth-keys"]["secret"]["secretName"] == k8s.AUTH_KEYS_SECRET


def test_a_sixth_service_is_one_registry_line() -> None:
    notes = Service(
        "notes", 6, ("/api/notes/{rest:path}",), storage=("postgres",), calls=("content",)
    )
    registry = REGISTRY.with_service(notes)
    files = k8s.outputs(ROOT, registry)
    workload = yaml.safe_load_all(files[ROOT / "deploy/k8s/base/workloads/notes.yaml"])
    kinds = [doc["kind"] for doc in workload]
    assert kinds == ["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"]
    assert "workloads/notes.yaml" in files[ROOT / "deploy/k8s/base/kustomization.yaml"]
    jobs = list(yaml.safe_load_all(files[ROOT / "deploy/k8s/base/migrations.yaml"]))
    assert "notes-migrate" in {job["metadata"]["name"] for job in jobs}
    assert {("notes", "content"), ("notes", "auth"), ("gateway", "notes")} <= k8s.edges(registry)
    secrets = files[ROOT / "deploy/k8s/overlays/local/secrets.yaml"]
    assert "name: inkwell-notes-database" in secrets
    images = yaml.safe_load(
        files[ROOT / "deploy/k8s/overlays/production/images/kustomization.yaml"]
    )
    assert {
        "name": "inkwell/notes",
        "newName": k8s.PRODUCTION_REGISTRY + "/notes",
        "newTag": k8s.IMAGE_TAG,
    } in images["images"]
