"""dependsOn on the real fleet, through `fleetcast`: `web` depends on `db`; db's pods are not Ready (the
local fleet's kwok fault stage) until a second release of db fixes them. Meanwhile web's bundle is held at
the hub: nothing of web exists on the cluster and `fleetcast status web` says what it waits for. Once db
is Ready there, web goes out; its objects were created after db's Deployment became Available (the
cluster's own timestamps), and the audit log records the dispatch. Busy-machine safe: every step waits
for the event itself, never for a time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from tests import kube
from tests.e2e.apps import web_app, write
from tests.e2e.conftest import Fleetcast
from tests.e2e.test_rollout import deployment_available
from tests.waiting import eventually

CLUSTER = "cluster-1"
STAGING = "env=staging"


def entry(fleet: Fleetcast, app: str) -> dict[str, Any] | None:
    status = fleet.cli_json("status", app)
    found: dict[str, Any] | None = next((c for c in status["clusters"] if c["cluster"] == CLUSTER), None)
    return found


def available_since(live: dict[str, Any]) -> datetime:
    """When the Deployment's Available condition last became True."""
    (condition,) = [c for c in live["status"]["conditions"] if c["type"] == "Available"]
    assert condition["status"] == "True"
    return datetime.fromisoformat(condition["lastTransitionTime"])


def created(live: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(live["metadata"]["creationTimestamp"])


def test_web_goes_out_only_after_db_is_ready_on_the_cluster(fleet: Fleetcast, app_name: str, tmp_path: Path) -> None:
    db, web = f"{app_name}-db", f"{app_name}-web"
    image = f"registry.example.test:5000/{app_name}/web:1.0.0"
    kubeconfig = fleet.cluster_files(CLUSTER).kubeconfig

    # db is applied, but its pods never become Ready while they carry the fault label.
    broken = write(tmp_path / "db-broken.yaml", web_app(db, image, broken=True))
    result = fleet.cli("apply", db, "-f", str(broken), "--selector", STAGING)
    assert result.returncode == 0, result.stderr

    def db_applied_not_ready() -> dict[str, Any] | None:
        found = entry(fleet, db)
        applied = found is not None and found["last_applied_revision"] == 1 and found["health"] != "Ready"
        return found if applied else None

    db_health = eventually(db_applied_not_ready, "db applied, not Ready")["health"]

    app_file = write(tmp_path / "web.yaml", web_app(web, image))
    result = fleet.cli("apply", web, "-f", str(app_file), "--selector", STAGING, "--depends-on", db)
    assert result.returncode == 0, result.stderr
    assert f"depends on: {db}" in result.stdout

    # Held: the hub says why, and nothing of web reaches the cluster.
    waiting = entry(fleet, web)
    assert waiting is not None and waiting["waiting_for"] == [f"{db} ({db_health})"], waiting
    assert waiting["desired_revision"] == 1 and waiting["observed_revision"] is None
    text = fleet.cli("status", web).stdout
    assert "WAITING FOR" in text and f"{db} ({db_health})" in text
    assert kube.get(kubeconfig, "v1", "Namespace", web) is None

    # db fixed: Ready on the cluster, then web goes out and becomes Available too.
    fixed = write(tmp_path / "db.yaml", web_app(db, image))
    result = fleet.cli("apply", db, "-f", str(fixed), "--selector", STAGING)
    assert result.returncode == 0, result.stderr
    eventually(lambda: deployment_available(fleet, CLUSTER, web, image), "web Available after db is Ready")

    db_live = kube.get(kubeconfig, "apps/v1", "Deployment", "web", db)
    assert db_live is not None
    web_namespace = kube.get(kubeconfig, "v1", "Namespace", web)
    web_live = kube.get(kubeconfig, "apps/v1", "Deployment", "web", web)
    assert web_namespace is not None and web_live is not None
    # The cluster's own clock: web's objects were created once db's Deployment was Available.
    assert created(web_namespace) >= available_since(db_live)
    assert created(web_live) >= available_since(db_live)
    assert created(db_live) < created(web_namespace)

    def web_ready() -> dict[str, Any] | None:
        found = entry(fleet, web)
        return found if found is not None and found["health"] == "Ready" else None

    assert eventually(web_ready, "web Ready on the cluster")["waiting_for"] == []
    events = fleet.cli_json("audit", "--app", web, "--action", "application.dispatched-after-dependencies")
    (event,) = events
    assert (event["cluster"], event["actor"], event["revision"]) == (CLUSTER, "system:dependencies", 1)
    assert [w.split(" ")[0] for w in event["details"]["waited_for"]] == [db]
    assert event["details"]["held_seconds"] > 0

    for app in (web, db):
        assert fleet.cli("delete", app).returncode == 0
