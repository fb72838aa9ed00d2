"""Every panel of every shipped Grafana dashboard, run against the real Prometheus scraping the real fleet,
returns data. No Grafana server can be had here, so the queries are what we can prove: the JSON users
import is read back (not the code that made it), its variables filled with real values, and each query
sent to Prometheus' /api/v1/query as Grafana would send it.

Panels that show something happening need the fleet to have done it, so the test first does, through
the CLI and the hub's API: an application on all four clusters, its drift policy set to `alert` and a
hand edit on cluster-2 left standing, a second application under `correct` whose hand edit the spoke
undoes, a staged rollout waiting for an approval before production, a malformed desired-state record
(the spoke's DLQ), an unreadable status report (the hub's DLQ) and a heartbeat from an unknown cluster.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from deploy.grafana.queries import PanelQuery, panel_queries
from deploy.grafana.render import DASHBOARDS, OUTPUT
from schemas.v1 import Heartbeat, HeartbeatEvent, encode
from schemas.v1.topics import HEARTBEAT_TOPIC, STATUS_TOPIC, desired_topic, heartbeat_key, status_key
from tests import kafka, kube
from tests.e2e.apps import web_app, write
from tests.e2e.conftest import Fleetcast
from tests.e2e.test_rollout import converged, deploy, deployment_available, image_for
from tests.e2e.test_staged_rollouts import ALL, baseline, release, strategy, until, waves
from tests.prometheus import PrometheusServer
from tests.waiting import eventually

# The cluster the drill-down and spoke pages are looked at for: where the drift and the DLQ record are.
CLUSTER = "cluster-2"
# Grafana's $__rate_interval is at least four scrape intervals; a minute covers any local scrape interval.
VARIABLES = {"datasource": "prometheus", "cluster": CLUSTER, "__rate_interval": "1m"}
# A safety net only: the test returns as soon as every query has data (scrapes and the hub's collector
# every few seconds); a busy machine only makes it slower.
DATA_TIMEOUT = 240.0


def hand_edit(fleet: Fleetcast, cluster: str, namespace: str, image: str) -> None:
    """Someone changes the Deployment's image on the cluster itself (another field manager takes it)."""
    edit = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}},
    }
    kube.create(fleet.cluster_files(cluster).kubeconfig, edit)


def unknown_cluster_heartbeat() -> tuple[bytes, bytes]:
    """A well-formed heartbeat (key, value) from a cluster the hub has never registered."""
    ghost = f"ghost-{uuid.uuid4().hex[:6]}"
    data = Heartbeat(cluster=ghost, agent_version="0.1.0", interval_seconds=1, time=datetime.now(UTC))
    return heartbeat_key(ghost), encode(HeartbeatEvent(source=f"spoke/{ghost}", cluster=ghost, data=data))


def every_panel_query() -> list[PanelQuery]:
    boards = [json.loads((OUTPUT / name).read_text()) for name in sorted(DASHBOARDS)]
    return [query for board in boards for query in panel_queries(board, VARIABLES)]


async def until_every_query_has_data(server: PrometheusServer, queries: list[PanelQuery]) -> None:
    """Poll Prometheus until each query has returned a non-empty result once; fail naming those that never did."""
    waiting = list(queries)
    deadline = time.monotonic() + DATA_TIMEOUT
    while waiting and time.monotonic() < deadline:
        results = [await server.query(query.expr) for query in waiting]
        waiting = [query for query, result in zip(waiting, results, strict=True) if not result]
        if waiting:
            await asyncio.sleep(2)
    assert not waiting, f"{len(waiting)} of {len(queries)} panel queries without data:\n" + "\n".join(map(str, waiting))


def test_every_dashboard_panel_query_returns_data_from_the_real_fleet(
    fleet: Fleetcast, fleet_prometheus: PrometheusServer, app_name: str, tmp_path: Path
) -> None:
    queries = every_panel_query()
    assert len(queries) > 50
    corrected_app = f"{app_name}-c"
    try:
        # a. one application on all four clusters, Ready: health, versions, reconciles, reports
        baseline(fleet, app_name, tmp_path)

        # b. its drift policy becomes `alert` (a new release, everywhere at once), then a hand edit on
        #    cluster-2 stays: drifted objects at the spoke and the hub
        with fleet.client() as client:
            client.update_application(app_name, drift={"mode": "alert"})
        eventually(lambda: converged(fleet, app_name, 2, ALL), "revision 2 (drift alert) Ready everywhere", timeout=120)
        hand_edit(fleet, CLUSTER, app_name, image_for(app_name, "hand-edited"))

        # c. a second application under `correct` on cluster-2: the spoke undoes the hand edit
        image = image_for(corrected_app, "1.0.0")
        deploy(fleet, corrected_app, write(tmp_path / "corrected.yaml", web_app(corrected_app, image)), "env=prod")
        eventually(lambda: converged(fleet, corrected_app, 1, {CLUSTER}), f"{corrected_app} Ready on {CLUSTER}")
        hand_edit(fleet, CLUSTER, corrected_app, image_for(corrected_app, "hand-edited"))
        eventually(
            lambda: deployment_available(fleet, CLUSTER, corrected_app, image), f"the hand edit corrected on {CLUSTER}"
        )

        # d. a staged rollout of revision 3 that waits for an approval before production
        gate = f"gate-{app_name}"
        strategy(fleet, tmp_path, gate, {"waves": waves(prod={"before": [{"approval": {"role": "approver"}}]})})
        release(fleet, app_name, tmp_path, "1.0.1", gate)
        until(fleet, app_name, "waiting-for-approval")

        # e. records nobody can use: the spoke's DLQ, the hub's DLQ, a report from a cluster it does not know
        bootstrap = fleet.infra.kafka_bootstrap
        kafka.produce(bootstrap, desired_topic(CLUSTER), app_name.encode(), b'{"type": "fleetcast.bundle", "oops')
        kafka.produce(bootstrap, STATUS_TOPIC, status_key(CLUSTER, app_name), b'{"not json ' + app_name.encode())
        kafka.produce(bootstrap, HEARTBEAT_TOPIC, *unknown_cluster_heartbeat())

        # every panel's query, as Grafana would send it, has data
        asyncio.run(until_every_query_has_data(fleet_prometheus, queries))
    finally:
        for app in (app_name, corrected_app):
            fleet.cli("delete", app)
