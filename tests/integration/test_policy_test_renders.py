"""`fleetcast policy test` offline on applications made from a chart or a template: rendered for the
cluster described with the real Helm, as the hub renders them, then judged by the policies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.helm import WEB_CHART


def policy_test(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEETCAST_")}
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", "policy", "test", "--helm", str(helm), *args, "-o", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def write(path: Path, *documents: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump_all(documents))
    return path


def application(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "fleetcast.dev/v1", "kind": "Application", "metadata": {"name": "web"}, "spec": spec}


def test_a_chart_application_is_rendered_for_the_cluster_then_judged(helm_binary: Path, tmp_path: Path) -> None:
    app = write(
        tmp_path / "app.yaml",
        application(selector="", chart=str(WEB_CHART), values={"image": {"tag": "${cluster.labels.track}"}}),
    )
    # The tag comes from the cluster's label: pinned on one cluster, latest on another.
    pinned = policy_test(helm_binary, "-f", str(app), "--baseline", "--labels", "track=1.27.1")
    latest = policy_test(helm_binary, "-f", str(app), "--baseline", "--labels", "track=latest")
    assert pinned.returncode == latest.returncode == 1, pinned.stderr + latest.stderr  # run-as-non-root either way
    denied = {f["policy"] for f in json.loads(latest.stdout)["findings"]}
    assert "no-latest-images" in denied
    assert "no-latest-images" not in {f["policy"] for f in json.loads(pinned.stdout)["findings"]}
    assert json.loads(pinned.stdout)["objects"] == 5  # Deployment, Service, ConfigMap, Ingress, HPA


def test_a_template_application_is_rendered_with_its_template(helm_binary: Path, tmp_path: Path) -> None:
    template = {
        "apiVersion": "fleetcast.dev/v1",
        "kind": "Template",
        "metadata": {"name": "cfg"},
        "spec": {
            "manifests": [
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n"
                "  labels: {size: {{ .Values.size | quote }}}\n"
            ],
            "parameters": {"type": "object", "properties": {"size": {"enum": ["s", "m"]}}},
        },
    }
    policy = {
        "apiVersion": "fleetcast.dev/v1",
        "kind": "Policy",
        "metadata": {"name": "medium-only"},
        "spec": {
            "action": "deny",
            "match": {"kinds": ["ConfigMap"]},
            "validations": [{"expression": "object.metadata.labels.size == 'm'", "message": "medium only"}],
        },
    }
    files = write(
        tmp_path / "all.yaml", template, policy, application(selector="", template="cfg", values={"size": "s"})
    )
    judged = policy_test(helm_binary, "-f", str(files))
    assert judged.returncode == 1, judged.stderr
    assert [f["message"] for f in json.loads(judged.stdout)["findings"]] == ["medium only"]

    refused = write(
        tmp_path / "bad.yaml", template, policy, application(selector="", template="cfg", values={"size": "x"})
    )
    result = policy_test(helm_binary, "-f", str(refused))
    assert result.returncode != 0 and "parameter size" in result.stderr
