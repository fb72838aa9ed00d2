"""`fleetcast policy`: reading Policy files, and `policy test` offline (exit codes, findings, -o json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from deploy.cli import build_parser, main
from hub.client.config import ClientSettings
from hub.client.http import HubClient, HubError
from hub.client.policies import parse_labels, policy_documents
from hub.policies.offline import PolicyTestError, load

pytestmark = pytest.mark.unit

POLICY = """
apiVersion: fleetcast.dev/v1
kind: Policy
metadata: {name: replicas}
spec:
  action: warn
  match: {kinds: [apps/Deployment], clusterSelector: env=prod}
  validations:
  - {expression: "object.spec.replicas >= 2", message: at least two replicas in prod}
"""
DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app.kubernetes.io/name: web}}
spec:
  replicas: 1
  template:
    spec:
      containers:
      - {name: web, image: "IMAGE"}
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "latest.yaml").write_text(DEPLOYMENT.replace("IMAGE", "nginx:latest"))
    (tmp_path / "pinned.yaml").write_text(DEPLOYMENT.replace("IMAGE", "nginx:1.27.4"))
    return tmp_path


def test_policy_documents_name_every_problem() -> None:
    assert policy_documents(POLICY, "p.yaml")[0][0] == "replicas"
    with pytest.raises(HubError) as caught:
        policy_documents("kind: Strategy\n---\napiVersion: v1\nkind: Policy\nmetadata: {name: x}\n", "p.yaml")
    assert str(caught.value) == (
        "p.yaml: document 1: kind is 'Strategy', expected Policy; "
        "p.yaml: document 2: apiVersion is 'v1', expected fleetcast.dev/v1"
    )


def test_labels() -> None:
    assert parse_labels("env=prod, region=eu") == {"env": "prod", "region": "eu"}
    assert parse_labels(None) == {}
    with pytest.raises(HubError, match="'prod' is not key=value"):
        parse_labels("prod")


def test_policy_test_exit_codes(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy, latest, pinned = (str(files / n) for n in ("policy.yaml", "latest.yaml", "pinned.yaml"))
    # A warn finding only: exit 0.
    assert main(["policy", "test", "-f", policy, "-f", pinned, "--cluster", "prod-1", "--labels", "env=prod"]) == 0
    out = capsys.readouterr().out
    assert "WARN policy replicas, cluster prod-1, apps/Deployment shop/web: at least two replicas in prod" in out
    # Out of the policy's clusters: nothing.
    assert main(["policy", "test", "-f", policy, "-f", pinned, "--labels", "env=dev"]) == 0
    assert "0 denied, 0 warned" in capsys.readouterr().out
    # The baseline denies :latest: exit 1, and -o json says what.
    assert main(["policy", "test", "-f", latest, "--baseline", "-o", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["denied"] >= 1
    assert {"policy": "no-latest-images", "action": "deny", "cluster": "local", "object": "apps/Deployment shop/web",
            "message": "every container image needs a tag other than :latest, or a digest (image@sha256:...)"
            } in data["findings"]  # fmt: skip


def test_policy_test_refuses_what_it_cannot_judge(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "test", "-f", str(files / "pinned.yaml")]) == 1
    assert "no Policy document in the files" in capsys.readouterr().err
    (files / "bad.yaml").write_text(POLICY.replace(">= 2", ">= ("))
    assert main(["policy", "test", "-f", str(files / "bad.yaml"), "-f", str(files / "missing.yaml")]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml: document 1: policy replicas: validations[0].expression: Failed to parse expression" in err
    assert "cannot read " in err and "missing.yaml" in err


def test_application_documents_bring_their_manifests(files: Path) -> None:
    (files / "app").mkdir()
    (files / "app" / "fleetcast.yaml").write_text(
        "apiVersion: fleetcast.dev/v1\nkind: Application\nmetadata: {name: web}\n"
        "spec:\n  selector: env=prod\n  manifests:\n  - ../latest.yaml\n"
        "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: shop}}\n"
    )
    loaded = load([files / "policy.yaml", files / "app" / "fleetcast.yaml"])
    assert [o["kind"] for o in loaded.objects] == ["Deployment", "ConfigMap"]
    (files / "chart.yaml").write_text("apiVersion: fleetcast.dev/v1\nkind: Application\nmetadata: {name: c}\n"
                                      "spec: {chart: ./chart}\n")  # fmt: skip
    with pytest.raises(PolicyTestError, match="application c\\): made from a chart"):
        load([files / "policy.yaml", files / "chart.yaml"])


def stored(spec: dict[str, Any], enabled: bool = True) -> dict[str, Any]:
    return {"name": "replicas", "enabled": enabled, "description": "", "action": spec["action"], "spec": spec,
            "created_by": "p", "created_at": "2026-11-22T12:00:00Z", "updated_at": "2026-11-22T12:00:00Z"}  # fmt: skip


@pytest.mark.parametrize(
    ("before", "status", "says"),
    [
        (None, 201, "created"),
        ({"action": "warn", "validations": []}, 200, "updated"),
        ("same", 200, "unchanged"),
    ],
)
def test_apply_says_what_it_did(files: Path, before: Any, status: int, says: str) -> None:
    spec = yaml.safe_load(POLICY)["spec"]
    requests: list[httpx.Request] = []

    def hub(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.method == "GET":
            if before is None:
                return httpx.Response(404, json={"detail": "policy replicas does not exist", "errors": []})
            return httpx.Response(200, json=stored(spec if before == "same" else before))
        return httpx.Response(status, json=stored(json.loads(request.content)))

    args = build_parser().parse_args(["policy", "apply", "-f", str(files / "policy.yaml")])
    with HubClient(ClientSettings(hub_url="http://hub", token="t"), transport=httpx.MockTransport(hub)) as client:
        data, text = args.handler(client, args)
    assert [(r.method, r.url.path) for r in requests] == [
        ("GET", "/api/v1/policies/replicas"),
        ("PUT", "/api/v1/policies/replicas"),
    ]
    assert json.loads(requests[1].content) == spec
    assert text == f"policy replicas: {says}; warn, enabled"
    assert data[0]["name"] == "replicas"
