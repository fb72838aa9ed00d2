"""Staged rollouts end to end, through `fleetcast`, on four real clusters (ring: staging, canary, prod x2)
with the hub and spokes as processes: waves in order with soak, an approval gate by role, a broken
release (its pods never become Ready, for real) that pauses at the failing wave, rollback to the
baseline by hand and by policy, supersede mid-run, a hub killed with SIGKILL mid-soak, and a cluster
that goes silent during its wave.

Every test first sends revision 1 to all four clusters at once and waits until it is Ready everywhere:
that is each cluster's baseline. Revision 2 (and 3) then goes out under a strategy.
"""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from schemas.v1 import BundleEvent
from tests import kube
from tests.e2e.apps import web_app, write
from tests.e2e.conftest import Fleetcast
from tests.e2e.test_resilience import desired_records
from tests.e2e.test_rollout import converged, deployment_available, image_for
from tests.waiting import eventually

ALL = {"cluster-1", "cluster-2", "cluster-3", "cluster-4"}
STAGING, CANARY, PROD = ["cluster-1"], ["cluster-3"], ["cluster-2", "cluster-4"]


def waves(**settings: dict[str, Any]) -> list[dict[str, Any]]:
    """staging, canary, prod (by the `ring` label), each with its own settings."""
    return [
        {"name": ring, "selector": f"ring={ring}", **settings.get(ring, {})} for ring in ("staging", "canary", "prod")
    ]


def strategy(fleet: Fleetcast, tmp_path: Path, name: str, spec: dict[str, Any]) -> None:
    path = tmp_path / f"{name}.yaml"
    document = {"apiVersion": "fleetcast.io/v1", "kind": "Strategy", "metadata": {"name": name}, "spec": spec}
    path.write_text(yaml.safe_dump(document))
    result = fleet.cli("strategy", "apply", "-f", str(path))
    assert result.returncode == 0, result.stderr


def baseline(fleet: Fleetcast, app: str, tmp_path: Path) -> str:
    """Revision 1 on every cluster at once, Ready: the baseline of what follows. Its image."""
    image = image_for(app, "1.0.0")
    result = fleet.cli("apply", app, "-f", str(write(tmp_path / "v1.yaml", web_app(app, image))), "--selector", "ring")
    assert result.returncode == 0, result.stderr
    eventually(lambda: converged(fleet, app, 1, ALL), "revision 1 Ready on all four clusters", timeout=120)
    return image


def release(fleet: Fleetcast, app: str, tmp_path: Path, tag: str, strategy: str, *, broken: bool = False) -> str:
    image = image_for(app, tag)
    path = write(tmp_path / f"{tag}.yaml", web_app(app, image, broken=broken))
    result = fleet.cli("apply", app, "-f", str(path), "--selector", "ring", "--strategy", strategy)
    assert result.returncode == 0, result.stderr
    assert f"follow it with: fleetcast rollout status {app} --watch" in result.stdout
    return image


def rollout(fleet: Fleetcast, app: str) -> dict[str, Any]:
    status: dict[str, Any] = fleet.cli_json("rollout", "status", app)
    return status


def until(fleet: Fleetcast, app: str, state: str, timeout: float = 240) -> dict[str, Any]:
    def check() -> dict[str, Any]:
        status = rollout(fleet, app)
        # on failure, eventually shows this: where the run is and what it waits for
        assert status["state"] == state, (status["state"], status["waiting_for"], status["reason"])
        return status

    return eventually(check, f"rollout of {app} {state}", timeout=timeout)


def states(status: dict[str, Any]) -> dict[str, str]:
    return {c["cluster"]: c["state"] for c in status["clusters"]}


def live_image(fleet: Fleetcast, cluster: str, namespace: str) -> str:
    live = kube.get(fleet.cluster_files(cluster).kubeconfig, "apps/v1", "Deployment", "web", namespace)
    assert live is not None
    image: str = live["spec"]["template"]["spec"]["containers"][0]["image"]
    return image


def faulty_pods(fleet: Fleetcast, cluster: str, namespace: str) -> dict[str, bool]:
    """The pods of the broken release on the cluster, and whether each is Ready."""

    async def read() -> dict[str, bool]:
        async with kube.dynamic(fleet.cluster_files(cluster).kubeconfig) as client:
            pods = await client.resources.get(api_version="v1", kind="Pod")
            listed = kube.checked(await client.get(pods, namespace=namespace, label_selector="fleetcast.io/fault"))
            return {
                item.metadata.name: any(
                    c["type"] == "Ready" and c["status"] == "True" for c in (item.status.conditions or [])
                )
                for item in listed.items
            }

    return asyncio.run(read())


def desired(fleet: Fleetcast, app: str) -> dict[str, int | None]:
    return {c["cluster"]: c["desired_revision"] for c in fleet.cli_json("status", app)["clusters"]}


def audit(fleet: Fleetcast, app: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = fleet.cli_json("audit", "--app", app, "--limit", "1000")
    return sorted(entries, key=lambda e: e["id"])


def times(entries: list[dict[str, Any]], action: str, run: int) -> dict[str, datetime]:
    """When each cluster had `action` in run `run` (the first time)."""
    found: dict[str, datetime] = {}
    for entry in entries:
        if entry["action"] == action and entry["run_id"] == run and entry["cluster"] not in found:
            found[entry["cluster"]] = datetime.fromisoformat(entry["time"])
    return found


def token(fleet: Fleetcast, name: str, role: str) -> str:
    made: dict[str, Any] = fleet.cli_json("token", "create", name, "--role", role)
    return str(made["token"])


def test_waves_go_in_order_with_soak_and_production_waits_for_an_approver(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    old = baseline(fleet, app_name, tmp_path)
    spec = {
        "waves": waves(
            staging={"minHealthy": "3s", "progressDeadline": "2m"},
            canary={"minHealthy": "3s", "progressDeadline": "2m"},
            prod={
                "minHealthy": "2s",
                "progressDeadline": "2m",
                "maxConcurrency": 1,
                "before": [{"approval": {"role": "approver"}}],
            },
        )
    }
    strategy(fleet, tmp_path, f"waves-{app_name}", spec)
    new = release(fleet, app_name, tmp_path, "1.0.1", f"waves-{app_name}")

    status = until(fleet, app_name, "waiting-for-approval")
    assert status["waiting_for"].startswith("approval by role approver before wave prod")
    assert states(status) == {
        "cluster-1": "passed",
        "cluster-3": "passed",
        "cluster-2": "pending",
        "cluster-4": "pending",
    }
    # staging and canary run the fix; production still runs the baseline, untouched and Available
    assert desired(fleet, app_name) == {"cluster-1": 2, "cluster-2": 1, "cluster-3": 2, "cluster-4": 1}
    for cluster in STAGING + CANARY:
        eventually(lambda c=cluster: deployment_available(fleet, c, app_name, new), f"{cluster} on {new}")
    for cluster in PROD:
        assert deployment_available(fleet, cluster, app_name, old)

    # a deployer may not approve; an approver may
    refused = fleet.cli("rollout", "approve", app_name, token=token(fleet, f"dep-{app_name}", "deployer"))
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: 403: approving wave prod needs role approver")
    approver = token(fleet, f"appr-{app_name}", "approver")
    approved = fleet.cli(
        "rollout", "approve", app_name, "--wave", "prod", "--revision", "2", "-m", "canary is fine", token=approver
    )
    assert approved.returncode == 0, approved.stderr

    watched = fleet.cli("rollout", "status", app_name, "--watch", "--interval", "0.5", timeout=180)
    assert watched.returncode == 0, watched.stdout + watched.stderr
    assert "succeeded: 4 cluster(s) passed" in watched.stdout
    assert f"approved before wave prod by appr-{app_name} (role approver)" in watched.stdout
    for cluster in PROD:
        eventually(lambda c=cluster: deployment_available(fleet, c, app_name, new), f"{cluster} on {new}")
    images = fleet.cli_json("versions", "--image", new.rsplit(":", 1)[0])
    assert {v["version"]: sorted(v["clusters"]) for i in images for v in i["versions"]} == {"1.0.1": sorted(ALL)}

    # the audit log proves the order: every wave dispatched only after the previous one passed its soak,
    # production only after the approval, and one production cluster at a time
    entries = audit(fleet, app_name)
    run = status["id"]
    dispatched, passed = times(entries, "rollout.dispatched", run), times(entries, "rollout.cluster-passed", run)
    approval = next(datetime.fromisoformat(e["time"]) for e in entries if e["action"] == "rollout.approved")
    assert passed["cluster-1"] <= dispatched["cluster-3"]
    assert passed["cluster-3"] <= approval <= min(dispatched["cluster-2"], dispatched["cluster-4"])
    first, second = sorted(PROD, key=lambda c: dispatched[c])
    assert passed[first] <= dispatched[second]
    for cluster, soak in (("cluster-1", 3), ("cluster-3", 3), ("cluster-2", 2), ("cluster-4", 2)):
        assert (passed[cluster] - dispatched[cluster]).total_seconds() >= soak
    assert next(e for e in entries if e["action"] == "rollout.approved")["actor"] == f"appr-{app_name}"


def test_a_broken_release_pauses_at_the_failing_wave_and_rollback_restores_the_baseline(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    old = baseline(fleet, app_name, tmp_path)
    # The wave's deadline also bounds the rollback's restore of the baseline: wide enough for a busy machine.
    spec = {"waves": waves(staging={"progressDeadline": "30s"}, canary={}, prod={})}
    strategy(fleet, tmp_path, f"halt-{app_name}", spec)
    new = release(fleet, app_name, tmp_path, "1.0.1-broken", f"halt-{app_name}", broken=True)

    status = until(fleet, app_name, "paused")
    assert status["reason"].startswith(
        "wave staging: 1 of 1 cluster(s) failed, 0 tolerated: cluster-1: not healthy within 30s"
    )
    assert states(status)["cluster-1"] == "failed"
    # the later waves never saw it
    assert desired(fleet, app_name) == {"cluster-1": 2, "cluster-2": 1, "cluster-3": 1, "cluster-4": 1}
    for cluster in CANARY + PROD:
        assert live_image(fleet, cluster, app_name) == old
        assert [r.data.revision for r in desired_records(fleet, cluster, app_name) if isinstance(r, BundleEvent)] == [1]
    # staging has it, and it is broken for real: its new pods run and never become Ready (the old ones
    # keep serving, as a rolling update leaves them), and the hub saw the cluster never Ready
    assert live_image(fleet, "cluster-1", app_name) == new
    broken_pods = faulty_pods(fleet, "cluster-1", app_name)
    assert broken_pods and all(not ready for ready in broken_pods.values()), broken_pods
    assert (
        next(c for c in fleet.cli_json("status", app_name)["clusters"] if c["cluster"] == "cluster-1")["health"]
        != "Ready"
    )

    rolled = fleet.cli("rollout", "rollback", app_name, "-m", "readiness probe broken")
    assert rolled.returncode == 0, rolled.stderr
    status = until(fleet, app_name, "rolled-back")
    assert status["reason"] == "baseline healthy again on 1 cluster(s)"
    eventually(lambda: deployment_available(fleet, "cluster-1", app_name, old), "cluster-1 back on the baseline")
    assert desired(fleet, app_name) == {c: 1 for c in ALL}
    requested = [e for e in audit(fleet, app_name) if e["action"] == "rollout.rollback-requested"]
    assert [(e["actor"], e["reason"]) for e in requested] == [("e2e-admin", "readiness probe broken")]


def test_a_failed_wave_rolls_back_by_itself_every_changed_wave_in_reverse_order(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    old = baseline(fleet, app_name, tmp_path)
    # staging tolerates its failure, so the broken release reaches the canary, which does not. The waves'
    # deadlines also bound the restores of the baseline: wide enough for a busy machine.
    spec = {
        "waves": waves(
            staging={"progressDeadline": "30s", "maxFailures": 1},
            canary={"progressDeadline": "30s"},
            prod={},
        ),
        "onFailure": "rollback",
    }
    strategy(fleet, tmp_path, f"undo-{app_name}", spec)
    release(fleet, app_name, tmp_path, "1.0.1-broken", f"undo-{app_name}", broken=True)

    status = until(fleet, app_name, "rolled-back", timeout=180)
    assert status["reason"] == "baseline healthy again on 2 cluster(s)"
    assert {c["cluster"]: c["restore"] for c in status["clusters"]} == {
        "cluster-1": "restored",
        "cluster-3": "restored",
        "cluster-2": None,
        "cluster-4": None,
    }
    for cluster in STAGING + CANARY:
        eventually(lambda c=cluster: deployment_available(fleet, c, app_name, old), f"{cluster} back on the baseline")
    entries = audit(fleet, app_name)
    restoring = [e["cluster"] for e in entries if e["action"] == "rollout.restoring"]
    assert restoring == ["cluster-3", "cluster-1"]  # the canary first, then staging
    dispatched = {e["cluster"] for e in entries if e["action"] == "rollout.dispatched"}
    assert dispatched == {"cluster-1", "cluster-3"}  # production never saw it
    for cluster in PROD:
        assert [r.data.revision for r in desired_records(fleet, cluster, app_name) if isinstance(r, BundleEvent)] == [1]


def test_a_new_release_mid_run_supersedes_it_and_starts_over_with_fresh_approvals(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    baseline(fleet, app_name, tmp_path)
    spec = {"waves": waves(staging={}, canary={"before": [{"approval": {"role": "approver"}}]}, prod={})}
    strategy(fleet, tmp_path, f"gate-{app_name}", spec)
    release(fleet, app_name, tmp_path, "1.0.1", f"gate-{app_name}")
    first = until(fleet, app_name, "waiting-for-approval")
    assert first["revision"] == 2

    newest = release(fleet, app_name, tmp_path, "1.0.2", f"gate-{app_name}")
    second = rollout(fleet, app_name)
    assert (second["revision"], second["id"] != first["id"]) == (3, True)
    history = fleet.cli_json("rollout", "history", app_name)
    assert [(r["revision"], r["state"]) for r in history][1] == (2, "superseded")
    # it starts over at the first wave, and asks for approval again: none carries over
    second = until(fleet, app_name, "waiting-for-approval")
    assert second["approvals"] == []
    assert desired(fleet, app_name) == {"cluster-1": 3, "cluster-2": 1, "cluster-3": 1, "cluster-4": 1}
    stale = fleet.cli("rollout", "approve", app_name, "--revision", "2")
    assert stale.returncode == 1 and "carries revision 3, not 2" in stale.stderr
    assert fleet.cli("rollout", "approve", app_name, "--revision", "3").returncode == 0
    until(fleet, app_name, "succeeded")
    for cluster in ALL:
        eventually(lambda c=cluster: deployment_available(fleet, c, app_name, newest), f"{cluster} on {newest}")


def test_a_hub_killed_mid_soak_resumes_without_dispatching_anyone_twice(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    baseline(fleet, app_name, tmp_path)
    # The canary's soak is the window the kill must land in, seen through `rollout status` polls: long
    # enough for a few polls however slow the machine makes each `fleetcast` call.
    spec = {"waves": waves(staging={"minHealthy": "2s"}, canary={"minHealthy": "30s"}, prod={"minHealthy": "2s"})}
    strategy(fleet, tmp_path, f"soak-{app_name}", spec)
    new = release(fleet, app_name, tmp_path, "1.0.1", f"soak-{app_name}")

    # the canary is soaking: kill the hub outright, then start it again on the same database
    eventually(
        lambda: (
            next(c for c in rollout(fleet, app_name)["clusters"] if c["cluster"] == "cluster-3").get("progress")
            == "healthy"
        ),
        "the canary soaking",
        timeout=120,
    )
    fleet.stop_hub(signal.SIGKILL)
    fleet.start_hub()

    status = until(fleet, app_name, "succeeded")
    assert status["reason"] == "4 cluster(s) passed"
    for cluster in ALL:
        eventually(lambda c=cluster: deployment_available(fleet, c, app_name, new), f"{cluster} on {new}")
        bundles = [r.data.revision for r in desired_records(fleet, cluster, app_name) if isinstance(r, BundleEvent)]
        assert bundles == [1, 2], f"{cluster} got {bundles}"
    dispatches = [e["cluster"] for e in audit(fleet, app_name) if e["action"] == "rollout.dispatched"]
    assert sorted(dispatches) == sorted(ALL)


def test_a_cluster_that_goes_silent_in_its_wave_fails_the_gate_and_resume_judges_it_again(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    baseline(fleet, app_name, tmp_path)
    # The canary's deadline also bounds its judgement after the resume: wide enough for a busy machine.
    spec = {"waves": waves(staging={"minHealthy": "2s"}, canary={"progressDeadline": "30s"}, prod={})}
    strategy(fleet, tmp_path, f"quiet-{app_name}", spec)
    fleet.kill_spoke("cluster-3")
    new = release(fleet, app_name, tmp_path, "1.0.1", f"quiet-{app_name}")

    status = until(fleet, app_name, "paused")
    canary = next(c for c in status["clusters"] if c["cluster"] == "cluster-3")
    assert canary["state"] == "failed"
    assert "not healthy within 30s: unreachable (last heartbeat" in canary["detail"]
    assert states(status)["cluster-2"] == states(status)["cluster-4"] == "pending"

    # back again: resume judges it afresh, and the rollout goes on
    fleet.start_spoke("cluster-3")
    resumed = fleet.cli("rollout", "resume", app_name, "-m", "spoke restarted")
    assert resumed.returncode == 0, resumed.stderr
    until(fleet, app_name, "succeeded")
    for cluster in ALL:
        eventually(lambda c=cluster: deployment_available(fleet, c, app_name, new), f"{cluster} on {new}")


def test_rollout_commands_answer_json(fleet: Fleetcast, app_name: str, tmp_path: Path) -> None:
    strategy(fleet, tmp_path, f"json-{app_name}", {"waves": waves()})
    listed = fleet.cli_json("strategy", "list")
    mine = next(s for s in listed if s["name"] == f"json-{app_name}")
    assert [w["name"] for w in mine["spec"]["waves"]] == ["staging", "canary", "prod"]
    shown = fleet.cli("strategy", "show", f"json-{app_name}")
    assert shown.returncode == 0 and "kind: Strategy" in shown.stdout
    assert yaml.safe_load(shown.stdout)["spec"]["onFailure"] == "pause"
    missing = fleet.cli("rollout", "status", app_name)
    assert missing.returncode == 1 and "404" in missing.stderr
    result = fleet.cli("strategy", "delete", f"json-{app_name}", "-o", "json")
    assert result.returncode == 0 and json.loads(result.stdout)["name"] == f"json-{app_name}"
