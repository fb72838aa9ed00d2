"""/metrics after real actions on the real Kafka, on SQLite and PostgreSQL: a registered cluster with
heartbeats, an application reported running an image, a rollout waiting for approval, a bad report
sent to the DLQ, the outbox; every metric of docs/metrics.md's Hub table is in the exposition.

Time is the hub's clock, moved by the test; the gauges are refreshed by calling the hub's collector
(its loop refreshes them every FLEETCAST_HUB_METRICS_INTERVAL_SECONDS anyway)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from schemas.v1 import Health, encode
from schemas.v1.topics import HEARTBEAT_TOPIC, STATUS_TOPIC, heartbeat_key, status_key
from tests.integration.conftest import RunningFleet
from tests.integration.hub.conftest import ManualClock, RunningHub, unique, wait_desired
from tests.integration.hub.test_reports import heartbeat, produce, status
from tests.metrics_contract import documented, problems
from tests.waiting import eventually_async as eventually

# Implemented on the HUBDRIFT branch (appended to HubMetrics there): checked once it is merged.
NGINX = "docker.io/library/nginx"


def manifests(image: str) -> list[dict[str, Any]]:
    container = {"name": "web", "image": image}
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": [container]}}},
        }
    ]


class Scrape:
    """One exposition, read as samples: value(name, labels) or None when there is no such series."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples = [s for family in text_string_to_metric_families(text) for s in family.samples]

    def value(self, name: str, **labels: str) -> float | None:
        return next((s.value for s in self.samples if s.name == name and s.labels == labels), None)


async def scrape(hub: RunningHub) -> Scrape:
    await hub.app.state.gauges.refresh()
    response = await hub.client.get("/metrics")
    assert response.status_code == 200
    return Scrape(response.text)


async def test_metrics_after_real_actions(local_fleet: RunningFleet, running_hub: Any) -> None:
    kafka = local_fleet.kafka_bootstrap
    clock = ManualClock()
    cluster, app, gated = unique(), unique("app"), unique("app")
    garbage = b'{"not json ' + uuid.uuid4().hex.encode()
    hub: RunningHub
    async with running_hub(clock=clock) as hub:
        client = hub.client
        dlq_before = (await scrape(hub)).value("fleetcast_hub_dlq_records") or 0.0

        assert (await client.post("/api/v1/clusters", json={"id": cluster, "labels": {}})).status_code == 201
        response = await client.put(
            f"/api/v1/applications/{app}", json={"manifests": manifests("nginx:1.25"), "selector": ""}
        )
        assert response.status_code == 201, response.text
        await wait_desired(kafka, cluster, 1)
        # A rollout that waits for an approval before its first wave.
        strategy = {"waves": [{"name": "canary", "before": [{"approval": {}}]}]}
        assert (await client.put("/api/v1/strategies/gated", json=strategy)).status_code in (200, 201)
        body = {"manifests": manifests("nginx:1.27"), "selector": "", "strategy": "gated"}
        assert (await client.put(f"/api/v1/applications/{gated}", json=body)).status_code == 201

        await produce(
            kafka,
            [
                (STATUS_TOPIC, status_key(cluster, app), garbage),
                (HEARTBEAT_TOPIC, heartbeat_key(cluster), encode(heartbeat(cluster, clock.now))),
                (STATUS_TOPIC, status_key(cluster, app), encode(status(cluster, app, 1, Health.READY, ["nginx:1.25"]))),
            ],
        )

        async def ingested() -> bool:
            found = (await client.get(f"/api/v1/clusters/{cluster}")).json()
            reported = found["state"] == "ready" and found["applications"][0]["health"] == "Ready"
            rejected = hub.metric("fleetcast_hub_reports_rejected_total", {"reason": "malformed-json"}) >= 1
            rollout = (await client.get(f"/api/v1/applications/{gated}/rollout")).json()
            return bool(reported and rejected and rollout["state"] == "waiting-for-approval")

        await eventually(ingested, 60, "reports ingested, the garbage rejected, the rollout waiting")
        await hub.drained()
        clock.now += timedelta(seconds=7)

        # The DLQ producer acknowledged before the rejection was counted; the topic's end offset follows.
        async def dead_lettered() -> Scrape | None:
            found = await scrape(hub)
            return found if (found.value("fleetcast_hub_dlq_records") or 0.0) >= dlq_before + 1 else None

        metrics = await eventually(dead_lettered, 30, "the DLQ record counted")
        assert metrics.value("fleetcast_hub_clusters", state="ready") == 1.0
        assert metrics.value("fleetcast_hub_cluster_up", cluster=cluster) == 1.0
        assert metrics.value("fleetcast_hub_cluster_heartbeat_age_seconds", cluster=cluster) == 7.0
        assert metrics.value("fleetcast_hub_applications_health", health="Ready") == 1.0
        assert metrics.value("fleetcast_hub_cluster_applications", cluster=cluster, health="Ready") == 1.0
        assert metrics.value("fleetcast_hub_application_clusters", application=app, health="Ready") == 1.0
        assert metrics.value("fleetcast_hub_image_clusters", image=NGINX, version="1.25") == 1.0
        assert metrics.value("fleetcast_hub_rollout_runs", state="waiting-for-approval") == 1.0
        active = {"application": gated, "strategy": "gated", "state": "waiting-for-approval", "wave": "canary"}
        assert metrics.value("fleetcast_hub_rollout_active_runs", **active) == 1.0
        assert metrics.value("fleetcast_hub_approvals_pending") == 1.0
        assert metrics.value("fleetcast_hub_outbox_pending") == 0.0
        assert metrics.value("fleetcast_hub_outbox_oldest_age_seconds") == 0.0
        assert (metrics.value("fleetcast_hub_published_total") or 0.0) >= 1
        for kind in ("status", "heartbeat"):
            assert (metrics.value("fleetcast_hub_report_ingest_lag_seconds_count", type=kind) or 0.0) >= 1
        route = {"method": "GET", "route": "/api/v1/applications/{application}/rollout", "status": "200"}
        assert (metrics.value("fleetcast_hub_http_request_duration_seconds_count", **route) or 0.0) >= 1
        # Raw paths never become series.
        routes = {s.labels.get("route") for s in metrics.samples if s.name.startswith("fleetcast_hub_http_request")}
        assert not any(r and (cluster in r or app in r) for r in routes), routes

        wanted = [metric for metric in documented("Hub")]
        assert problems(metrics.text, wanted) == []

        # The spoke reports the application removed: no longer counted on the cluster.
        report = status(cluster, app, 2, Health.READY, [])
        removed = report.model_copy(update={"data": report.data.model_copy(update={"removed": True})})
        await produce(kafka, [(STATUS_TOPIC, status_key(cluster, app), encode(removed))])

        async def gone() -> Scrape | None:
            found = await scrape(hub)
            counted = found.value("fleetcast_hub_cluster_applications", cluster=cluster, health="Ready")
            return found if counted is None else None

        metrics = await eventually(gone, 30, "the removed application no longer counted")
        assert metrics.value("fleetcast_hub_application_clusters", application=app, health="Ready") is None
        assert metrics.value("fleetcast_hub_applications_health", health="Ready") == 0.0
        assert metrics.value("fleetcast_hub_image_clusters", image=NGINX, version="1.25") is None

        # Silent for longer than unreachable_after (30 s): down, and its age keeps growing.
        clock.now += timedelta(seconds=40)
        metrics = await scrape(hub)
        assert metrics.value("fleetcast_hub_cluster_up", cluster=cluster) == 0.0
        assert metrics.value("fleetcast_hub_cluster_heartbeat_age_seconds", cluster=cluster) == 47.0
        assert metrics.value("fleetcast_hub_clusters", state="unreachable") == 1.0

        # Approved: the run moves on; deregistered: the cluster's series are gone, not left stale.
        approved = await client.post(f"/api/v1/applications/{gated}/rollout/approve", json={})
        assert approved.status_code == 200, approved.text
        assert (await client.delete(f"/api/v1/clusters/{cluster}")).status_code in (200, 204)
        metrics = await scrape(hub)
        assert metrics.value("fleetcast_hub_approvals_pending") == 0.0
        assert metrics.value("fleetcast_hub_rollout_active_runs", **active) is None
        for name in ("fleetcast_hub_cluster_up", "fleetcast_hub_cluster_heartbeat_age_seconds"):
            assert metrics.value(name, cluster=cluster) is None
        assert metrics.value("fleetcast_hub_cluster_applications", cluster=cluster, health="Ready") is None
        assert metrics.value("fleetcast_hub_image_clusters", image=NGINX, version="1.25") is None


async def test_outbox_backlog_and_age_while_nothing_publishes(local_fleet: RunningFleet, running_hub: Any) -> None:
    clock = ManualClock()
    cluster, app = unique(), unique("app")
    async with running_hub(clock=clock, relay_enabled=False) as hub:
        assert (await hub.client.post("/api/v1/clusters", json={"id": cluster, "labels": {}})).status_code == 201
        response = await hub.client.put(
            f"/api/v1/applications/{app}", json={"manifests": manifests("nginx:1.25"), "selector": ""}
        )
        assert response.status_code == 201, response.text
        clock.now += timedelta(seconds=9)
        metrics = await scrape(hub)
        assert metrics.value("fleetcast_hub_outbox_pending") == 1.0
        assert metrics.value("fleetcast_hub_outbox_oldest_age_seconds") == 9.0
