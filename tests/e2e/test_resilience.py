"""Failures, end to end: a spoke killed mid-apply, a hub crash between commit and publish, bad input,
and a spoke silent past the threshold — the fleet converges and loses nothing."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

from schemas.v1 import decode_desired
from schemas.v1.topics import DLQ_TOPIC, desired_topic
from tests import kafka, kube
from tests.e2e.apps import web_app, write
from tests.e2e.conftest import Fleetcast
from tests.e2e.test_rollout import BOTH, converged, deploy, image_for
from tests.waiting import eventually


def uids(kubeconfig: Path, namespace: str, names: list[str]) -> dict[str, str]:
    found = {}
    for name in names:
        live = kube.get(kubeconfig, "v1", "ConfigMap", name, namespace)
        if live is not None:
            found[name] = live["metadata"]["uid"]
    return found


def desired_records(fleet: Fleetcast, cluster: str, app: str) -> list[Any]:
    records = kafka.read_all(fleet.infra.kafka_bootstrap, desired_topic(cluster))
    return [decode_desired(r.value) for r in records if r.key == app.encode() and r.value is not None]


def test_a_spoke_killed_mid_apply_converges_and_deletes_nothing(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    names = [f"extra-{i}" for i in range(40)]
    kubeconfig = fleet.cluster_files("cluster-1").kubeconfig
    image = image_for(app_name, "1.0.0")
    deploy(fleet, app_name, write(tmp_path / "v1.yaml", web_app(app_name, image, extra_configmaps=len(names))))

    # f. kill -9 once the apply has started but, with 40 objects to go, before it is done
    eventually(lambda: uids(kubeconfig, app_name, names[:1]), "the apply to start", interval=0.02)
    fleet.kill_spoke("cluster-1", signal.SIGKILL)
    before = uids(kubeconfig, app_name, names)
    assert before, "some objects were applied before the kill"

    fleet.start_spoke("cluster-1")
    eventually(lambda: converged(fleet, app_name, 1, {"cluster-1", "cluster-2"}), "revision 1 Ready after restart")
    after = uids(kubeconfig, app_name, names)
    assert set(after) == set(names)
    # nothing that existed was deleted and re-created by the restarted spoke
    assert {name: after[name] for name in before} == before

    # a restart of a converged spoke changes nothing live either, once it has reconciled what it holds
    # (each application at least once: the new process counts from 0)
    fleet.kill_spoke("cluster-1", signal.SIGKILL)
    fleet.start_spoke("cluster-1")

    def reconciled_all() -> bool:
        done = fleet.spoke_metric("cluster-1", "fleetcast_spoke_reconcile_total")
        return done >= fleet.spoke_metric("cluster-1", "fleetcast_spoke_applications") >= 1

    eventually(reconciled_all, "the restarted spoke reconciled every application it holds", timeout=120)
    assert uids(kubeconfig, app_name, names) == after


def test_a_hub_crash_between_commit_and_publish_publishes_once(fleet: Fleetcast, app_name: str, tmp_path: Path) -> None:
    image = image_for(app_name, "1.0.0")
    deploy(fleet, app_name, write(tmp_path / "v1.yaml", web_app(app_name, image)))
    eventually(lambda: converged(fleet, app_name, 1, {"cluster-1", "cluster-2"}), "revision 1 Ready")

    # g. a hub whose relay does not run commits the change but never publishes it; then it dies
    fleet.stop_hub()
    fleet.start_hub(FLEETCAST_HUB_RELAY_ENABLED="false")
    applied = deploy(fleet, app_name, write(tmp_path / "v2.yaml", web_app(app_name, image_for(app_name, "2.0.0"))))
    assert applied["revision"] == 2
    time.sleep(1.0)
    assert [e.data.revision for e in desired_records(fleet, "cluster-1", app_name)] == [1]
    fleet.stop_hub(signal.SIGKILL)

    # after a normal restart the change goes out, exactly once per cluster
    fleet.start_hub()
    eventually(lambda: converged(fleet, app_name, 2, {"cluster-1", "cluster-2"}), "revision 2 Ready after restart")
    for cluster in ("cluster-1", "cluster-2"):
        revisions = [e.data.revision for e in desired_records(fleet, cluster, app_name)]
        assert revisions == [1, 2], f"{cluster}: {revisions}"


def test_a_malformed_event_goes_to_the_dlq_and_later_events_apply(
    fleet: Fleetcast, app_name: str, tmp_path: Path
) -> None:
    # h. garbage on cluster-1's desired topic, under this application's key
    garbage = b'{"type": "fleetcast.bundle", "oops'
    kafka.produce(fleet.infra.kafka_bootstrap, desired_topic("cluster-1"), app_name.encode(), garbage)

    def in_dlq() -> Any:
        records = kafka.read_all(fleet.infra.kafka_bootstrap, DLQ_TOPIC)
        return [r for r in records if r.key == app_name.encode() and r.value == garbage]

    (dead,) = eventually(in_dlq, "the malformed event in the DLQ")
    assert dead.headers  # the reason travels with it

    image = image_for(app_name, "1.0.0")
    deploy(fleet, app_name, write(tmp_path / "v1.yaml", web_app(app_name, image)))
    eventually(lambda: converged(fleet, app_name, 1, {"cluster-1", "cluster-2"}), "revision 1 Ready after the DLQ")


def test_an_invalid_manifest_is_a_422_and_nothing_is_published(fleet: Fleetcast, app_name: str, tmp_path: Path) -> None:
    broken = web_app(app_name, image_for(app_name, "1.0.0"))
    del broken[2]["metadata"]["name"]  # the Deployment has no name
    result = fleet.cli("apply", app_name, "-f", str(write(tmp_path / "bad.yaml", broken)), "--selector", BOTH)
    assert result.returncode == 1
    assert "422" in result.stderr
    assert "Deployment" in result.stderr and "name" in result.stderr

    unparsable = tmp_path / "unparsable.yaml"
    unparsable.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [unclosed\n")
    result = fleet.cli("apply", app_name, "-f", str(unparsable), "--selector", BOTH)
    assert result.returncode == 1 and "422" in result.stderr

    time.sleep(1.0)
    for cluster in ("cluster-1", "cluster-2"):
        assert desired_records(fleet, cluster, app_name) == []
    missing = fleet.cli("status", app_name)
    assert missing.returncode == 1 and "404" in missing.stderr


def test_a_silent_cluster_becomes_unreachable_then_catches_up(fleet: Fleetcast, app_name: str, tmp_path: Path) -> None:
    def state(cluster: str) -> str:
        clusters = fleet.cli_json("clusters")
        return str(next(c["state"] for c in clusters if c["id"] == cluster))

    eventually(lambda: state("cluster-2") == "ready", "cluster-2 ready")

    # i. the spoke is gone past the silence threshold
    fleet.kill_spoke("cluster-2", signal.SIGKILL)
    # becomes unreachable once silent for UNREACHABLE_AFTER_SECONDS; the timeout is only a safety net
    eventually(lambda: state("cluster-2") == "unreachable", "cluster-2 unreachable", timeout=120)

    # changes made meanwhile wait for it
    image = image_for(app_name, "1.0.0")
    deploy(fleet, app_name, write(tmp_path / "v1.yaml", web_app(app_name, image)))
    eventually(lambda: converged(fleet, app_name, 1, {"cluster-1"}, exact=False), "cluster-1 converged")
    status = fleet.cli_json("status", app_name)
    waiting = next(c for c in status["clusters"] if c["cluster"] == "cluster-2")
    assert waiting.get("observed_revision") != 1  # it cannot have applied it while away

    fleet.start_spoke("cluster-2")
    eventually(lambda: state("cluster-2") == "ready", "cluster-2 ready again")
    eventually(lambda: converged(fleet, app_name, 1, {"cluster-1", "cluster-2"}), "cluster-2 caught up")
