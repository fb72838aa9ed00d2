"""The fleet as code end to end, through `fleetcast`, on the real fleet: a git repository with two
applications synced from a ref (both deployed), synced again (no new release), then one removed by a
commit and synced with --prune (gone from the cluster); the audit log records repository, path and
commit of each change."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests import kube
from tests.e2e.apps import web_app, write
from tests.e2e.conftest import Fleetcast
from tests.e2e.test_rollout import converged, image_for
from tests.waiting import eventually

STAGING = "env=staging"  # cluster-1


def git(repository: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repository), "-c", "user.name=dev", "-c", "user.email=dev@example.test", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def add_application(repository: Path, name: str) -> None:
    folder = repository / "applications" / name
    folder.mkdir(parents=True)
    write(folder / "web.yaml", web_app(name, image_for(name, "1.0.0")))
    (folder / "app.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "fleetcast.dev/v1",
                "kind": "Application",
                "metadata": {"name": name},
                "spec": {"selector": STAGING, "manifests": ["web.yaml"]},
            }
        )
    )


CHART_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["environment"],
    "properties": {"environment": {"type": "string", "enum": ["staging", "prod"]}},
}


def add_chart_application(repository: Path, name: str, namespace: str) -> None:
    """A chart in the repository (with a values.schema.json) and an application made from it whose values
    take the cluster's env label; its objects go to `namespace`, which the application it depends on makes."""
    chart = repository / "charts" / "settings"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: settings\nversion: 0.1.0\n")
    (chart / "values.schema.json").write_text(json.dumps(CHART_SCHEMA))
    (chart / "templates" / "configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n"
        "  environment: {{ .Values.environment | quote }}\n"
    )
    folder = repository / "applications" / name
    folder.mkdir(parents=True)
    (folder / "app.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "fleetcast.dev/v1",
                "kind": "Application",
                "metadata": {"name": name},
                "spec": {
                    "selector": STAGING,
                    "chart": "../../charts/settings",
                    "namespace": namespace,
                    "values": {"environment": "${cluster.labels.env}"},
                    "dependsOn": [namespace],
                },
            }
        )
    )


def sync(fleet: Fleetcast, repository: Path, *options: str) -> dict[str, Any]:
    result = fleet.cli("sync", "--git", str(repository), "--ref", "main", *options, "-o", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    body: dict[str, Any] = json.loads(result.stdout)
    return body


def plan_of(body: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    return {s["name"]: (s["action"], s["skipped"]) for s in body["plan"]}


def test_a_git_repository_synced_twice_then_pruned(fleet: Fleetcast, app_name: str, tmp_path: Path) -> None:
    repository = tmp_path / "fleet"
    repository.mkdir()
    git(repository, "init", "-q", "-b", "main")
    first, second = app_name, f"{app_name}-b"
    charted = f"{app_name}-chart"  # its namespace is made by `first`'s manifests: it depends on it
    add_application(repository, first)
    add_application(repository, second)
    add_chart_application(repository, charted, first)
    inventory = tmp_path / "clusters.yaml"
    inventory.write_text(yaml.safe_dump({"clusters": [{"name": "cluster-1", "labels": {"env": "staging"}}]}))
    git(repository, "add", ".")
    git(repository, "commit", "-q", "-m", "three applications")
    commit = git(repository, "rev-parse", "HEAD")

    # Offline first: every application rendered for the inventory's cluster, with the real Helm.
    assert fleet.helm is not None
    checked = fleet.cli(
        "validate", str(repository), "--inventory", str(inventory), "--helm", str(fleet.helm), "-o", "json", token=""
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert (report["rendered"], report["skipped"], report["problems"]) == (3, 0, [])

    created = sync(fleet, repository)
    assert plan_of(created) == {first: ("create", False), second: ("create", False), charted: ("create", False)}
    for name in (first, second, charted):
        eventually(lambda name=name: converged(fleet, name, 1, {"cluster-1"}), f"{name} revision 1 Ready")
    settings = kube.get(fleet.cluster_files("cluster-1").kubeconfig, "v1", "ConfigMap", "settings", first)
    assert settings is not None and settings["data"] == {"environment": "staging"}
    release = fleet.cli_json("releases", charted)[0]
    assert release["source"]["kind"] == "chart"
    assert release["origin"] == {
        "repository": str(repository.resolve()),
        "path": ".",
        "commit": commit,
        "file": f"applications/{charted}/app.yaml",
    }

    again = sync(fleet, repository)
    assert plan_of(again) == {
        first: ("unchanged", False),
        second: ("unchanged", False),
        charted: ("unchanged", False),
    }
    assert [r["revision"] for r in fleet.cli_json("releases", first)] == [1]
    assert [r["revision"] for r in fleet.cli_json("releases", charted)] == [1]

    git(repository, "rm", "-q", "-r", f"applications/{second}")
    git(repository, "commit", "-q", "-m", "remove the second application")
    commit = git(repository, "rev-parse", "HEAD")
    without_prune = sync(fleet, repository, "--dry-run")
    assert plan_of(without_prune)[second] == ("delete", True)
    pruned = sync(fleet, repository, "--prune")
    assert plan_of(pruned) == {first: ("unchanged", False), second: ("delete", False), charted: ("unchanged", False)}
    kubeconfig = fleet.cluster_files("cluster-1").kubeconfig
    eventually(lambda: kube.get(kubeconfig, "apps/v1", "Deployment", "web", second) is None, f"{second} uninstalled")
    assert kube.get(kubeconfig, "apps/v1", "Deployment", "web", first) is not None

    with fleet.client() as client:
        synced = client.audit(action="fleet.synced")["items"][0]
        applied = client.audit(action="fleet.applied", application=second)["items"]
    origin = synced["details"]["origin"]
    assert (origin["repository"], origin["path"], origin["commit"]) == (str(repository.resolve()), ".", commit)
    assert [e["details"]["action"] for e in applied] == ["delete", "create"]
    assert applied[0]["details"]["origin"]["commit"] == commit
