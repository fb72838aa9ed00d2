"""Policies on the real fleet through the CLI and the API: `fleetcast policy test` offline and its exit
codes; a platform token publishes (a deployer is refused); and a release denied by a policy publishes
nothing: no desired record on any cluster's topic, nothing on the clusters.

The fleet is shared by the session's tests: every policy a test publishes is removed when it ends, so
no other test's release is judged by it."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from hub.client.http import HubError
from schemas.v1 import decode_desired
from schemas.v1.topics import desired_topic
from tests import kube
from tests.e2e.apps import web_app, write
from tests.e2e.conftest import Fleetcast
from tests.e2e.test_rollout import BOTH
from tests.kafka import read_all

CLUSTERS = ("cluster-1", "cluster-2")  # the clusters BOTH selects
REPLICAS_POLICY: dict[str, Any] = {
    "apiVersion": "fleetcast.dev/v1",
    "kind": "Policy",
    "metadata": {"name": "e2e-replicas"},
    "spec": {
        "description": "prod runs at least three replicas",
        "action": "warn",
        "match": {"kinds": ["apps/Deployment"], "clusterSelector": "env=prod"},
        "validations": [{"expression": "object.spec.replicas >= 3", "message": "prod needs three replicas"}],
    },
}


@pytest.fixture
def published(fleet: Fleetcast) -> Iterator[list[str]]:
    """Names of the policies a test publishes; each is removed afterwards, whatever happened."""
    names: list[str] = []
    yield names
    with fleet.client() as client:
        for name in names:
            with contextlib.suppress(HubError):  # already removed by the test itself
                client._call("DELETE", f"/policies/{name}")


def test_policy_test_works_offline_with_exit_codes(fleet: Fleetcast, app_name: str, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(REPLICAS_POLICY))
    pinned = write(tmp_path / "pinned.yaml", web_app(app_name, "nginx:1.27.4"))
    latest = write(tmp_path / "latest.yaml", web_app(app_name, "nginx:latest"))

    # A warning only: exit 0, the finding printed. No hub is asked (no token given, none needed).
    warned = fleet.cli("policy", "test", "-f", str(policy), "-f", str(pinned), "--labels", "env=prod", token="")
    assert warned.returncode == 0, warned.stderr
    assert f"WARN policy e2e-replicas, cluster local, apps/Deployment {app_name}/web: prod needs three replicas" in (
        warned.stdout
    )
    # Another cluster's labels: out of scope.
    quiet = fleet.cli("policy", "test", "-f", str(policy), "-f", str(pinned), "--cluster", "dev-1", token="")
    assert quiet.returncode == 0 and "0 denied, 0 warned" in quiet.stdout
    # The baseline denies :latest: exit 1, in JSON too.
    denied = fleet.cli("policy", "test", "-f", str(latest), "--baseline", "-o", "json", token="")
    assert denied.returncode == 1, denied.stderr
    findings = json.loads(denied.stdout)["findings"]
    assert {(f["policy"], f["action"]) for f in findings} >= {("no-latest-images", "deny")}
    # A policy that does not compile: exit 1, naming the policy and the validation.
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(REPLICAS_POLICY).replace(">= 3", ">= ("))
    refused = fleet.cli("policy", "test", "-f", str(broken), "-f", str(pinned), token="")
    assert refused.returncode == 1
    assert "policy e2e-replicas: validations[0].expression: Failed to parse expression" in refused.stderr


def test_a_platform_token_publishes_policies_and_a_deployer_may_not(
    fleet: Fleetcast, app_name: str, published: list[str], tmp_path: Path
) -> None:
    published += ["e2e-replicas", "no-privileged"]
    platform_name, deployer_name = f"platform-{app_name}", f"deployer-{app_name}"
    platform = fleet.cli_json("token", "create", platform_name, "--role", "platform", "--expires-in", "1h")["token"]
    deployer = fleet.cli_json("token", "create", deployer_name, "--role", "deployer", "--expires-in", "1h")["token"]
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(REPLICAS_POLICY))

    refused = fleet.cli("policy", "apply", "-f", str(policy), token=deployer)
    assert refused.returncode == 1
    assert f"403: PUT /api/v1/policies/e2e-replicas needs the platform role; token {deployer_name}" in refused.stderr

    applied = fleet.cli("policy", "apply", "-f", str(policy), token=platform)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.startswith("policy e2e-replicas: created; warn, enabled")
    again = fleet.cli("policy", "apply", "-f", str(policy), token=platform)
    assert again.returncode == 0 and again.stdout.startswith("policy e2e-replicas: unchanged; warn, enabled")
    as_json = fleet.cli("policy", "apply", "-f", str(policy), "-o", "json", token=platform)
    assert as_json.returncode == 0 and json.loads(as_json.stdout)[0]["spec"]["match"]["clusterSelector"] == "env=prod"

    listed = fleet.cli("policy", "list", token=deployer)
    assert listed.returncode == 0 and re.search(r"^e2e-replicas\s+warn\s+yes\s+apps/Deployment", listed.stdout, re.M)
    shown = fleet.cli("policy", "show", "e2e-replicas")
    assert shown.returncode == 0
    document = yaml.safe_load(shown.stdout)
    assert document["kind"] == "Policy"
    assert document["spec"]["validations"] == [
        {"expression": "object.spec.replicas >= 3", "message": "prod needs three replicas"}
    ]

    enabled = fleet.cli("policy", "baseline", "--enable", "no-privileged", token=platform)
    assert enabled.returncode == 0, enabled.stderr
    assert re.search(r"^no-privileged\s+deny\s+yes\s", enabled.stdout, re.M)
    assert re.search(r"^no-latest-images\s+deny\s+no\s", enabled.stdout, re.M)

    events = fleet.cli_json("audit", "--action", "policy.", "--since", "1h")
    assert {(e["actor"], e["details"]["policy"]) for e in events} >= {
        (platform_name, "e2e-replicas"),
        (platform_name, "no-privileged"),
    }
    for name in ("e2e-replicas", "no-privileged"):
        removed = fleet.cli("policy", "rm", name, token=platform)
        assert removed.returncode == 0, removed.stderr
    assert not {"e2e-replicas", "no-privileged"} & {p["name"] for p in fleet.cli_json("policy", "list")}


def test_a_release_denied_by_a_policy_publishes_nothing(fleet: Fleetcast, app_name: str, published: list[str]) -> None:
    """Needs the release path to call the policies (the lead's wiring of issue 9): a PUT of an application
    whose Deployment runs nginx:latest while no-latest-images is enabled is a 422 listing the finding for
    every target cluster, and nothing is stored or published."""
    published.append("no-latest-images")
    headers = {"Authorization": f"Bearer {fleet.admin_token}"}
    with httpx.Client(base_url=f"{fleet.hub_url}/api/v1", headers=headers, timeout=30) as api:
        enabled = api.post("/policies/baseline/no-latest-images")
        assert enabled.status_code in (200, 201), enabled.text

        body = {"manifests": web_app(app_name, "nginx:latest"), "selector": BOTH}
        response = api.put(f"/applications/{app_name}", json=body)
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        message = "every container image needs a tag other than :latest, or a digest (image@sha256:...)"
        for cluster in CLUSTERS:
            finding = rf"policy no-latest-images, cluster {cluster}, (apps/)?Deployment {app_name}/web: "
            assert re.search(finding + re.escape(message), detail), detail

        # Nothing stored, nothing on any desired topic, nothing on the clusters.
        assert api.get(f"/applications/{app_name}").status_code == 404
    for cluster in CLUSTERS:
        for record in read_all(fleet.infra.kafka_bootstrap, desired_topic(cluster)):
            assert record.key != app_name.encode(), decode_desired(record.value or b"")
        kubeconfig = fleet.cluster_files(cluster).kubeconfig
        assert kube.get(kubeconfig, "v1", "Namespace", app_name) is None
