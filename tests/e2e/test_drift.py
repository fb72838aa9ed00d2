"""Drift and Kubernetes Events end to end, through `fleetcast`, on the real fleet (hub and spokes as
processes): someone edits a deployment's image on a cluster as `kubectl edit` does (a strategic merge
patch under another field manager). Under `alert` the edit stays, `fleetcast drift` and `fleetcast
describe` show it with its field path and who made it, and a `drift.detected` notification is
delivered; under `correct` the spoke puts the object back and the correction is counted. A Warning
event about a managed object shows in `fleetcast events` and in `describe`, and so does one about a pod
the real controllers made for a managed Deployment (under the Deployment).

These need the spoke side of issue 8 (drift detection, Events forwarding)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests import kube
from tests.e2e.apps import web_app, write
from tests.e2e.conftest import Fleetcast
from tests.e2e.test_notifications import webhook
from tests.e2e.test_rollout import converged, deployment_available, image_for
from tests.waiting import eventually

CLUSTER = "cluster-1"  # env=staging
IMAGE_PATH = "spec.template.spec.containers[name=web].image"
EDITOR = "kubectl-edit"


def deploy(fleet: Fleetcast, app: str, path: Path, *drift: str) -> dict[str, Any]:
    result = fleet.cli("apply", app, "-f", str(path), "--selector", "env=staging", *drift, "-o", "json")
    assert result.returncode == 0, result.stderr
    applied: dict[str, Any] = json.loads(result.stdout)
    return applied


def edit_image(fleet: Fleetcast, namespace: str, image: str) -> None:
    """What `kubectl edit` or `kubectl set image` does: a strategic merge patch under its own manager."""

    async def go() -> None:
        async with kube.dynamic(fleet.cluster_files(CLUSTER).kubeconfig) as client:
            resource = await client.resources.get(api_version="apps/v1", kind="Deployment")
            body = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}}
            kube.checked(await client.patch(resource, body=body, name="web", namespace=namespace, field_manager=EDITOR))

    asyncio.run(go())


def live_image(fleet: Fleetcast, namespace: str) -> str | None:
    live = kube.get(fleet.cluster_files(CLUSTER).kubeconfig, "apps/v1", "Deployment", "web", namespace)
    return None if live is None else str(live["spec"]["template"]["spec"]["containers"][0]["image"])


def drift_rows(fleet: Fleetcast, app: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = fleet.cli_json("drift", app, "--cluster", CLUSTER)["items"]
    return rows


def test_under_alert_an_edit_stays_and_is_shown_and_notified(fleet: Fleetcast, app_name: str, tmp_path: Path) -> None:
    image, edited = image_for(app_name, "1.0.0"), image_for(app_name, "9.9.9")
    applied = deploy(fleet, app_name, write(tmp_path / "app.yaml", web_app(app_name, image)), "--drift-mode", "alert")
    assert applied["drift"]["mode"] == "alert"
    eventually(lambda: converged(fleet, app_name, 1, {CLUSTER}), "revision 1 Ready", timeout=120)

    with webhook() as hook:
        added = fleet.cli("notify", "add", hook.url("/drift"), "--event", "drift.*", "--app", app_name)
        assert added.returncode == 0, added.stderr
        edit_image(fleet, app_name, edited)

        def drifted() -> dict[str, Any] | None:
            return next((r for r in drift_rows(fleet, app_name) if r["drift"] == "modified"), None)

        row = eventually(drifted, "the edit shown by fleetcast drift", timeout=120)
        assert row["object"] == f"Deployment/{app_name}/web"
        assert IMAGE_PATH in row["fields"]
        assert EDITOR in row["managers"]
        assert row["mode"] == "alert"
        text = fleet.cli("drift", app_name)
        assert text.returncode == 0 and IMAGE_PATH in text.stdout, text.stdout

        [notified] = eventually(lambda: hook.received("/drift", "drift.detected"), "drift.detected delivered", 120)
        document = notified.document
        assert (document["event"], document["application"], document["cluster"]) == (
            "drift.detected",
            app_name,
            CLUSTER,
        )
        assert IMAGE_PATH in document["details"]["fields"]

    # Under alert the spoke leaves it as it is.
    assert live_image(fleet, app_name) == edited
    described = fleet.cli_json("describe", app_name, "--cluster", CLUSTER)
    deployment = next(o for o in described["objects"] if o["kind"] == "Deployment")
    assert IMAGE_PATH in deployment["drift"]["fields"]
    assert described["drifted"] >= 1
    text = fleet.cli("describe", app_name, "--cluster", CLUSTER)
    assert text.returncode == 0, text.stderr
    assert f"Deployment/{app_name}/web" in text.stdout and "Drift:" in text.stdout and EDITOR in text.stdout
    status = fleet.cli_json("status", app_name)
    assert status["clusters"][0]["drifted"] >= 1
    assert fleet.cli("delete", app_name).returncode == 0


def test_under_correct_the_edit_is_undone_and_counted(fleet: Fleetcast, app_name: str, tmp_path: Path) -> None:
    image, edited = image_for(app_name, "1.0.0"), image_for(app_name, "6.6.6")
    applied = deploy(fleet, app_name, write(tmp_path / "app.yaml", web_app(app_name, image)))
    assert applied["drift"]["mode"] == "correct"
    eventually(lambda: converged(fleet, app_name, 1, {CLUSTER}), "revision 1 Ready", timeout=120)

    edit_image(fleet, app_name, edited)

    def corrected() -> dict[str, Any] | None:
        return next((r for r in drift_rows(fleet, app_name) if r["corrections"] >= 1), None)

    row = eventually(corrected, "the correction counted by fleetcast drift", timeout=120)
    assert row["object"] == f"Deployment/{app_name}/web"
    eventually(lambda: live_image(fleet, app_name) == image, "the live object restored", timeout=60)
    eventually(lambda: deployment_available(fleet, CLUSTER, app_name, image), "available again", timeout=120)
    audit = fleet.cli_json("audit", "--app", app_name, "--action", "drift.corrected")
    assert audit, "no drift.corrected in the audit log"
    assert fleet.cli("delete", app_name).returncode == 0


def warning_event(namespace: str, deployment: dict[str, Any], reason: str) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"web.{uuid.uuid4().hex[:10]}", "namespace": namespace},
        "involvedObject": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "web",
            "namespace": namespace,
            "uid": deployment["metadata"]["uid"],
        },
        "type": "Warning",
        "reason": reason,
        "message": "an e2e test says something is wrong",
        "count": 1,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "source": {"component": "e2e-test"},
        "reportingComponent": "e2e-test",
    }


def test_a_warning_event_shows_in_fleetcast_events_and_describe(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    deploy(fleet, app_name, write(tmp_path / "app.yaml", web_app(app_name, image_for(app_name, "1.0.0"))))
    eventually(lambda: converged(fleet, app_name, 1, {CLUSTER}), "revision 1 Ready", timeout=120)
    kubeconfig = fleet.cluster_files(CLUSTER).kubeconfig
    live = kube.get(kubeconfig, "apps/v1", "Deployment", "web", app_name)
    assert live is not None
    reason = f"E2EWarning{uuid.uuid4().hex[:6]}"
    kube.create(kubeconfig, warning_event(app_name, live, reason))

    def shown() -> dict[str, Any] | None:
        events = fleet.cli_json("events", app_name, "--cluster", CLUSTER, "--type", "Warning")["items"]
        return next((e for e in events if e["reason"] == reason), None)

    event = eventually(shown, "the Warning event in fleetcast events", timeout=120)
    assert event["object"] == f"Deployment/{app_name}/web"
    text = fleet.cli("events", app_name)
    assert text.returncode == 0 and reason in text.stdout, text.stdout
    described = fleet.cli("describe", app_name, "--cluster", CLUSTER)
    assert described.returncode == 0 and reason in described.stdout, described.stdout
    assert fleet.cli("delete", app_name).returncode == 0


def pods_of_web(kubeconfig: Path, namespace: str) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        async with kube.dynamic(kubeconfig) as client:
            pods = await client.resources.get(api_version="v1", kind="Pod")
            listed = kube.checked(await client.get(pods, namespace=namespace, label_selector="app=web")).to_dict()
            return [p for p in listed.get("items") or [] if (p.get("metadata") or {}).get("ownerReferences")]

    return asyncio.run(go())


def test_a_warning_about_a_pod_of_a_managed_deployment_shows_under_the_deployment(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    """The pod is the real controllers' (Fleetcast applied only the Deployment); the Warning about it,
    as the kubelet reports a crash loop, shows in `fleetcast events` and under the Deployment in describe."""
    deploy(fleet, app_name, write(tmp_path / "app.yaml", web_app(app_name, image_for(app_name, "1.0.0"))))
    eventually(lambda: converged(fleet, app_name, 1, {CLUSTER}), "revision 1 Ready", timeout=120)
    kubeconfig = fleet.cluster_files(CLUSTER).kubeconfig
    pod = eventually(lambda: (pods_of_web(kubeconfig, app_name) or [None])[0], "a pod of web", timeout=120)
    reason = f"E2EBackOff{uuid.uuid4().hex[:6]}"
    backoff = warning_event(app_name, pod, reason)
    backoff["involvedObject"] |= {"apiVersion": "v1", "kind": "Pod", "name": pod["metadata"]["name"]}
    backoff["source"] = {"component": "kubelet"}
    kube.create(kubeconfig, backoff)

    def shown() -> dict[str, Any] | None:
        events = fleet.cli_json("events", app_name, "--cluster", CLUSTER, "--type", "Warning")["items"]
        return next((e for e in events if e["reason"] == reason), None)

    event = eventually(shown, "the pod's Warning in fleetcast events", timeout=120)
    assert event["object"] == f"Pod/{app_name}/{pod['metadata']['name']}"
    assert event["owner"] == f"Deployment/{app_name}/web"
    described = fleet.cli_json("describe", app_name, "--cluster", CLUSTER)
    [web] = [o for o in described["objects"] if o["kind"] == "Deployment"]
    assert reason in [e["reason"] for e in web["events"]]
    text = fleet.cli("describe", app_name, "--cluster", CLUSTER)
    assert text.returncode == 0 and f"Pod/{pod['metadata']['name']}" in text.stdout, text.stdout
    assert fleet.cli("delete", app_name).returncode == 0


def test_a_drift_policy_set_through_the_cli_is_a_release_the_cluster_gets(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    deploy(fleet, app_name, write(tmp_path / "app.yaml", web_app(app_name, image_for(app_name, "1.0.0"))))
    eventually(lambda: converged(fleet, app_name, 1, {CLUSTER}), "revision 1 Ready", timeout=120)

    refused = fleet.cli("drift-policy", app_name, "--add-ignore", "kind=Deployment,path=spec..replicas")
    assert refused.returncode == 1
    assert "ignore rule 1 (kind=Deployment): 'spec..replicas'" in refused.stderr, refused.stderr

    changed = fleet.cli(
        "drift-policy", app_name, "--mode", "alert", "--ignore", "kind=Deployment,path=spec.replicas", "-o", "json"
    )
    assert changed.returncode == 0, changed.stderr
    app = json.loads(changed.stdout)
    assert app["revision"] == 2 and app["drift"]["mode"] == "alert"
    eventually(lambda: converged(fleet, app_name, 2, {CLUSTER}), "revision 2 (the policy) Ready", timeout=120)
    shown = fleet.cli("drift-policy", app_name)
    assert "mode: alert" in shown.stdout and "ignore: kind=Deployment,path=spec.replicas" in shown.stdout
    releases = fleet.cli_json("releases", app_name)
    assert [r["drift"]["mode"] for r in releases] == ["alert", "correct"]
    assert fleet.cli("delete", app_name).returncode == 0
