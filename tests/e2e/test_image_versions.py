"""Finding vulnerable versions, end to end: applications deployed through `fleetcast apply` to the real
clusters, their spokes report each container's image, and `fleetcast versions --image ... --older-than`
names exactly the clusters, applications, objects and containers below the version: an init
container and a CronJob's job template included, `latest` listed apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.apps import write
from tests.e2e.conftest import Fleetcast
from tests.e2e.test_rollout import converged, deploy
from tests.waiting import eventually

PROD = {"cluster-2", "cluster-4"}
STAGING_AND_CANARY = {"cluster-1", "cluster-3"}


def _deployment(namespace: str, image: str, init_image: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "web", "image": image}]}
    if init_image:
        spec["initContainers"] = [{"name": "setup", "image": init_image}]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": spec},
        },
    }


def _cronjob(namespace: str, image: str) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "backup", "namespace": namespace},
        "spec": {
            "schedule": "0 3 * * *",
            "suspend": True,
            "jobTemplate": {
                "spec": {
                    "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "dump", "image": image}]}}
                }
            },
        },
    }


def _namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def test_versions_older_than_names_the_clusters_and_containers(fleet: Fleetcast, app_name: str, tmp_path: Path) -> None:
    # The test's own repository (on a registry with a port), so other tests' workloads never show.
    nginx = f"registry.example.test:5000/{app_name}/nginx"
    old, fixed = f"{app_name}-old", f"{app_name}-fixed"
    # `old` runs the vulnerable 1.27.3 on staging and canary.
    deploy(
        fleet,
        old,
        write(tmp_path / "old.yaml", [_namespace(old), _deployment(old, f"{nginx}:1.27.3")]),
        "ring in (staging,canary)",
    )
    # `fixed` runs 1.27.10 in prod, but its init container and its CronJob still use 1.27.3, and a
    # sidecar follows `latest`, which cannot be ordered.
    fixed_manifests = [
        _namespace(fixed),
        _deployment(fixed, f"{nginx}:1.27.10", init_image=f"{nginx}:1.27.3"),
        _cronjob(fixed, f"{nginx}:1.27.3-alpine"),
    ]
    fixed_manifests[1]["spec"]["template"]["spec"]["containers"].append({"name": "edge", "image": f"{nginx}:latest"})
    deploy(fleet, fixed, write(tmp_path / "fixed.yaml", fixed_manifests), "ring=prod")
    eventually(lambda: converged(fleet, old, 1, STAGING_AND_CANARY), "old Ready on staging and canary", timeout=120)
    eventually(lambda: converged(fleet, fixed, 1, PROD), "fixed Ready in prod", timeout=120)

    def older() -> dict[str, Any] | None:
        body: dict[str, Any] = fleet.cli_json("versions", "--image", nginx, "--older-than", "1.27.4")
        return body if body["totals"]["rows"] == 6 else None

    body = eventually(older, "every container reported", timeout=60)
    assert body["image"] == nginx
    assert body["totals"] == {"clusters": 4, "applications": 2, "rows": 6}
    found = {
        (r["cluster"], r["application"], r["kind"], r["name"], r["container"], r["container_type"], r["tag"])
        for r in body["items"]
    }
    assert found == {
        *((c, old, "Deployment", "web", "web", "container", "1.27.3") for c in STAGING_AND_CANARY),
        *((c, fixed, "Deployment", "web", "setup", "init", "1.27.3") for c in PROD),
        *((c, fixed, "CronJob", "backup", "dump", "container", "1.27.3-alpine") for c in PROD),
    }
    assert {(r["cluster"], r["container"], r["tag"]) for r in body["unordered"]} == {
        (c, "edge", "latest") for c in PROD
    }

    # The table a person reads: the rows, the summary line, `latest` apart.
    result = fleet.cli("versions", "--image", nginx, "--older-than", "1.27.4")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["CLUSTER", "APPLICATION", "OBJECT", "CONTAINER", "IMAGE"]
    assert f"4 clusters, 2 applications run {nginx} older than 1.27.4" in lines
    assert any(line.split()[:5] == ["cluster-2", fixed, f"Deployment/{fixed}/web", "setup", "(init)"] for line in lines)
    assert any(line.split()[:4] == ["cluster-4", fixed, f"CronJob/{fixed}/backup", "dump"] for line in lines)
    assert any(line.startswith("Not ordered") for line in lines)

    # Newer than: only the fixed web containers; and 1.27.3 itself left out with --not.
    newer = fleet.cli_json("versions", "--image", nginx, "--newer-than", "1.27.4")
    assert {(r["cluster"], r["container"], r["tag"]) for r in newer["items"]} == {(c, "web", "1.27.10") for c in PROD}
    without = fleet.cli_json("versions", "--image", nginx, "--older-than", "1.27.4", "--not", "1.27.3")
    assert {(r["cluster"], r["tag"]) for r in without["items"]} == {(c, "1.27.3-alpine") for c in PROD}
    assert fleet.cli_json("versions", "--image", nginx, "--older-than", "1.27.4", "-l", "ring=canary")["totals"] == {
        "clusters": 1,
        "applications": 1,
        "rows": 1,
    }

    # The fix: `old` moves to 1.27.4; once its spokes report it, only prod's init container and CronJob remain.
    deploy(
        fleet,
        old,
        write(tmp_path / "old-fixed.yaml", [_namespace(old), _deployment(old, f"{nginx}:1.27.4")]),
        "ring in (staging,canary)",
    )
    eventually(lambda: converged(fleet, old, 2, STAGING_AND_CANARY), "old on 1.27.4", timeout=120)

    def fixed_now() -> dict[str, Any] | None:
        body: dict[str, Any] = fleet.cli_json("versions", "--image", nginx, "--older-than", "1.27.4")
        return body if body["totals"]["clusters"] == 2 else None

    body = eventually(fixed_now, "old re-indexed after the fix", timeout=60)
    assert {r["cluster"] for r in body["items"]} == PROD
    assert body["summary"] == f"2 clusters, 1 application run {nginx} older than 1.27.4"

    # A bad version is refused, naming it.
    result = fleet.cli("versions", "--image", nginx, "--older-than", "latest")
    assert result.returncode == 1
    assert "older_than: 'latest' is not a version" in result.stderr

    for app in (old, fixed):
        assert fleet.cli("delete", app).returncode == 0
