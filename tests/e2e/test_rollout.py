"""The main path, end to end: deploy, bump, prune, re-target by labels, delete — through `fleetcast`,
with the hub and spokes running as processes, checked on the real clusters and through the hub API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests import kube
from tests.e2e.apps import web_app, write
from tests.e2e.conftest import Fleetcast
from tests.waiting import eventually

BOTH = "env in (staging,prod)"


def image_for(app: str, tag: str) -> str:
    return f"registry.example.test:5000/{app}/web:{tag}"


def deploy(fleet: Fleetcast, app: str, path: Path, selector: str = BOTH) -> dict[str, Any]:
    result = fleet.cli("apply", app, "-f", str(path), "--selector", selector, "-o", "json")
    assert result.returncode == 0, result.stderr
    applied: dict[str, Any] = json.loads(result.stdout)
    return applied


def converged(
    fleet: Fleetcast, app: str, revision: int, clusters: set[str], *, exact: bool = True
) -> dict[str, Any] | None:
    """The status when `clusters` run `revision` applied and Ready (and, if exact, no other cluster has it)."""
    status = fleet.cli_json("status", app)
    per_cluster = {c["cluster"]: c for c in status["clusters"] if not c.get("removed")}
    if (set(per_cluster) != clusters) if exact else not clusters <= set(per_cluster):
        return None
    done = all(
        c.get("observed_revision") == revision
        and c.get("last_applied_revision") == revision
        and c.get("health") == "Ready"
        for name, c in per_cluster.items()
        if name in clusters
    )
    return status if done else None


def deployment_available(fleet: Fleetcast, cluster: str, namespace: str, image: str) -> bool:
    files = fleet.cluster_files(cluster)
    live = kube.get(files.kubeconfig, "apps/v1", "Deployment", "web", namespace)
    if live is None:
        return False
    containers = live["spec"]["template"]["spec"]["containers"]
    ready = (live.get("status") or {}).get("readyReplicas") == live["spec"]["replicas"]
    return ready and containers[0]["image"] == image


def test_deploy_then_bump_the_image(fleet: Fleetcast, app_name: str, tmp_path: Path) -> None:
    old, new = image_for(app_name, "1.0.0"), image_for(app_name, "1.0.1")
    applied = deploy(fleet, app_name, write(tmp_path / "v1.yaml", web_app(app_name, old)))
    assert applied["revision"] == 1

    # a. both clusters run it, Available, and the hub knows revision and image per cluster
    status = eventually(lambda: converged(fleet, app_name, 1, {"cluster-1", "cluster-2"}), "revision 1 Ready")
    for cluster in status["clusters"]:
        assert old in cluster["images"]
    for cluster in ("cluster-1", "cluster-2"):
        assert deployment_available(fleet, cluster, app_name, old)

    # b. bump the image: both converge; versions by image show only the new tag
    applied = deploy(fleet, app_name, write(tmp_path / "v2.yaml", web_app(app_name, new)))
    assert applied["revision"] == 2
    eventually(lambda: converged(fleet, app_name, 2, {"cluster-1", "cluster-2"}), "revision 2 Ready")
    for cluster in ("cluster-1", "cluster-2"):
        eventually(lambda c=cluster: deployment_available(fleet, c, app_name, new), f"{cluster} on {new}")

    image_name = new.rsplit(":", 1)[0]
    images = fleet.cli_json("versions", "--image", image_name)
    versions = {v["version"]: sorted(v["clusters"]) for i in images for v in i["versions"]}
    assert versions == {"1.0.1": ["cluster-1", "cluster-2"]}

    by_app = fleet.cli_json("versions", "--app", app_name)
    assert {c["cluster"]: c["revision"] for c in by_app[0]["clusters"]} == {"cluster-1": 2, "cluster-2": 2}

    # an unchanged apply makes no new release
    again = deploy(fleet, app_name, tmp_path / "v2.yaml")
    assert again["revision"] == 2


def test_dropped_objects_are_pruned_and_foreign_ones_left_alone(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    image = image_for(app_name, "1.0.0")
    deploy(fleet, app_name, write(tmp_path / "v1.yaml", web_app(app_name, image)))
    eventually(lambda: converged(fleet, app_name, 1, {"cluster-1", "cluster-2"}), "revision 1 Ready")

    # someone else's ConfigMap in the same namespace
    foreign = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "not-ours", "namespace": app_name}}
    for cluster in ("cluster-1", "cluster-2"):
        kube.create(fleet.cluster_files(cluster).kubeconfig, foreign)

    # c. drop the ConfigMap from the application
    deploy(fleet, app_name, write(tmp_path / "v2.yaml", web_app(app_name, image, with_config=False)))
    eventually(lambda: converged(fleet, app_name, 2, {"cluster-1", "cluster-2"}), "revision 2 Ready")
    for cluster in ("cluster-1", "cluster-2"):
        kubeconfig = fleet.cluster_files(cluster).kubeconfig
        eventually(
            lambda k=kubeconfig: kube.get(k, "v1", "ConfigMap", "web-config", app_name) is None,
            f"web-config pruned on {cluster}",
        )
        assert kube.get(kubeconfig, "v1", "ConfigMap", "not-ours", app_name) is not None
        assert kube.get(kubeconfig, "apps/v1", "Deployment", "web", app_name) is not None


def test_a_cluster_leaving_the_selector_loses_the_application(fleet: Fleetcast, app_name: str, tmp_path: Path) -> None:
    image = image_for(app_name, "1.0.0")
    deploy(fleet, app_name, write(tmp_path / "v1.yaml", web_app(app_name, image)))
    eventually(lambda: converged(fleet, app_name, 1, {"cluster-1", "cluster-2"}), "revision 1 Ready")

    # d. cluster-2 is relabelled out of the selector: the application goes there only
    result = fleet.cli("cluster", "label", "cluster-2", "env=retired")
    assert result.returncode == 0, result.stderr
    second = fleet.cluster_files("cluster-2").kubeconfig
    eventually(lambda: kube.get(second, "apps/v1", "Deployment", "web", app_name) is None, "web removed from cluster-2")
    status = eventually(lambda: converged(fleet, app_name, 1, {"cluster-1"}), "only cluster-1 runs it")
    assert [c["cluster"] for c in status["clusters"] if not c.get("removed")] == ["cluster-1"]
    assert deployment_available(fleet, "cluster-1", app_name, image)


def test_deleting_the_application_removes_it_everywhere(fleet: Fleetcast, app_name: str, tmp_path: Path) -> None:
    image = image_for(app_name, "1.0.0")
    deploy(fleet, app_name, write(tmp_path / "v1.yaml", web_app(app_name, image)))
    eventually(lambda: converged(fleet, app_name, 1, {"cluster-1", "cluster-2"}), "revision 1 Ready")

    # e. delete: gone from every cluster (its namespace too, once the namespace controller emptied it)
    result = fleet.cli("delete", app_name)
    assert result.returncode == 0, result.stderr
    for cluster in ("cluster-1", "cluster-2"):
        kubeconfig = fleet.cluster_files(cluster).kubeconfig
        eventually(
            lambda k=kubeconfig: kube.get(k, "apps/v1", "Deployment", "web", app_name) is None,
            f"web gone from {cluster}",
        )
        eventually(
            lambda k=kubeconfig: kube.get(k, "v1", "Namespace", app_name) is None,
            f"namespace gone from {cluster}",
            timeout=90,
        )
