"""Helm charts as applications, end to end through `fleetcast` on the real fleet (a real Helm in the hub,
real spokes and clusters): a chart with a values.schema.json goes to two clusters, each with its own
values (a cluster label referenced in the values, and per-cluster values by selector); values the schema
refuses and a template that fails are 422s naming the chart, the value or the template and line, and
publish nothing; an image override and a fix campaign reach the chart's workloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests import kube
from tests.e2e.conftest import Fleetcast
from tests.e2e.test_rollout import converged, image_for
from tests.waiting import eventually

CLUSTERS = {"cluster-1", "cluster-2"}  # env=staging, env=prod
SELECTOR = "env in (staging,prod)"

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["image", "replicas", "environment"],
    "properties": {
        "image": {"type": "string"},
        "replicas": {"type": "integer", "minimum": 1, "maximum": 5},
        "environment": {"type": "string", "enum": ["staging", "prod"]},
        "greeting": {"type": "string"},
    },
}

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: {{ .Values.image | quote }}
"""

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  environment: {{ .Values.environment | quote }}
  greeting: {{ .Values.greeting | default "hello" | quote }}
  release: {{ .Release.Name | quote }}
"""


def make_chart(root: Path, namespace: str, *, broken: bool = False) -> Path:
    chart = root / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text("replicas: 1\ngreeting: hello\n")
    (chart / "values.schema.json").write_text(json.dumps(SCHEMA))
    (chart / "templates" / "namespace.yaml").write_text(
        f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n"
    )
    (chart / "templates" / "deployment.yaml").write_text(DEPLOYMENT)
    config = CONFIGMAP + ("  broken: {{ .Values.missing.key }}\n" if broken else "")
    (chart / "templates" / "configmap.yaml").write_text(config)
    return chart


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def apply_chart(fleet: Fleetcast, app: str, chart: Path, values: Path, *extra: str) -> Any:
    return fleet.cli(
        "apply", app, "--chart", str(chart), "--values", str(values), "--namespace", app, "--selector", SELECTOR,
        *extra, "-o", "json",
    )  # fmt: skip


def live(fleet: Fleetcast, cluster: str, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
    api_version = "apps/v1" if kind == "Deployment" else "v1"
    return kube.get(fleet.cluster_files(cluster).kubeconfig, api_version, kind, name, namespace)


def test_a_chart_goes_to_each_cluster_with_its_own_values(fleet: Fleetcast, app_name: str, tmp_path: Path) -> None:
    chart = make_chart(tmp_path, app_name)
    image = image_for(app_name, "1.0.0")
    # The environment comes from each cluster's own label; prod gets more replicas by selector.
    values = write_yaml(tmp_path / "values.yaml", {"image": image, "environment": "${cluster.labels.env}"})
    per_cluster = write_yaml(tmp_path / "cluster-values.yaml", [{"selector": "env=prod", "values": {"replicas": 3}}])
    result = apply_chart(fleet, app_name, chart, values, "--cluster-values", str(per_cluster))
    assert result.returncode == 0, result.stderr
    applied = json.loads(result.stdout)
    assert applied["revision"] == 1 and applied["source"]["kind"] == "chart"
    eventually(lambda: converged(fleet, app_name, 1, CLUSTERS), "the chart Ready on both clusters", timeout=180)

    for cluster, environment, replicas in (("cluster-1", "staging", 1), ("cluster-2", "prod", 3)):
        config = live(fleet, cluster, "ConfigMap", "web-config", app_name)
        assert config is not None and config["data"] == {
            "environment": environment,
            "greeting": "hello",
            "release": app_name,
        }
        deployment = live(fleet, cluster, "Deployment", "web", app_name)
        assert deployment is not None and deployment["spec"]["replicas"] == replicas
        shown = fleet.cli_json("manifests", app_name, "--cluster", cluster)
        assert shown["revision"] == 1
        kinds = {(o["kind"], o["metadata"].get("namespace")) for o in shown["manifests"]}
        assert ("Deployment", app_name) in kinds and ("Namespace", None) in kinds

    # The same chart and values again: no new release.
    again = apply_chart(fleet, app_name, chart, values, "--cluster-values", str(per_cluster))
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["revision"] == 1
    releases = fleet.cli_json("releases", app_name)
    assert [r["revision"] for r in releases] == [1] and releases[0]["source"]["kind"] == "chart"

    # An image override reaches the chart's Deployment on every cluster.
    fixed = image_for(app_name, "1.0.1")
    overridden = fleet.cli("set-image", app_name, f"registry.example.test:5000/{app_name}/web=1.0.1", "-o", "json")
    assert overridden.returncode == 0, overridden.stderr
    eventually(lambda: converged(fleet, app_name, 2, CLUSTERS), "revision 2 (the override) Ready", timeout=180)
    for cluster in CLUSTERS:
        deployment = live(fleet, cluster, "Deployment", "web", app_name)
        assert deployment is not None
        assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == fixed


def test_values_the_schema_refuses_and_a_broken_template_publish_nothing(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    chart = make_chart(tmp_path, app_name)
    image = image_for(app_name, "1.0.0")
    good = write_yaml(tmp_path / "good.yaml", {"image": image, "environment": "staging"})
    assert apply_chart(fleet, app_name, chart, good).returncode == 0
    eventually(lambda: converged(fleet, app_name, 1, CLUSTERS), "revision 1 Ready", timeout=180)

    too_many = write_yaml(tmp_path / "bad.yaml", {"image": image, "environment": "staging", "replicas": 9})
    refused = apply_chart(fleet, app_name, chart, too_many)
    assert refused.returncode != 0
    assert "422" in refused.stderr and "web-1.0.0" in refused.stderr and "replicas" in refused.stderr
    assert "maximum" in refused.stderr

    broken = make_chart(tmp_path / "broken", app_name, broken=True)
    failed = apply_chart(fleet, app_name, broken, good)
    assert failed.returncode != 0
    assert "422" in failed.stderr and "templates/configmap.yaml" in failed.stderr and "line 9" in failed.stderr

    # Nothing was published: still revision 1 everywhere.
    assert [r["revision"] for r in fleet.cli_json("releases", app_name)] == [1]
    assert converged(fleet, app_name, 1, CLUSTERS) is not None
