"""Reports produced to the real report topics show in the API; bad ones go to the DLQ and stop nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.v1 import (
    Health,
    Heartbeat,
    HeartbeatEvent,
    ObjectRef,
    ObjectStatus,
    StatusEvent,
    StatusReport,
    encode,
)
from schemas.v1.topics import DLQ_TOPIC, HEARTBEAT_TOPIC, STATUS_TOPIC, heartbeat_key, status_key
from tests.integration.conftest import RunningFleet
from tests.integration.hub.conftest import ManualClock, RunningHub, read_topic, unique, wait_desired
from tests.kafka import new_producer
from tests.waiting import eventually_async as eventually

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}}


def heartbeat(cluster: str, time: datetime | None = None) -> HeartbeatEvent:
    data = Heartbeat(
        cluster=cluster,
        agent_version="0.1.0",
        kubernetes_version="v1.36.3",
        nodes=2,
        ready_nodes=1,
        applications=1,
        interval_seconds=5,
        time=time or datetime.now(UTC),
    )
    return HeartbeatEvent(source=f"spoke/{cluster}", cluster=cluster, data=data)


def status(cluster: str, app: str, generation: int, health: Health, images: list[str]) -> StatusEvent:
    ref = ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace="shop")
    data = StatusReport(
        cluster=cluster,
        application=app,
        observed_generation=generation,
        observed_revision=1,
        last_applied_revision=1,
        last_attempted_revision=1,
        health=health,
        objects=[ObjectStatus(ref=ref, action="applied", health=health)],
        images=images,
        time=datetime.now(UTC),
    )
    return StatusEvent(source=f"spoke/{cluster}", cluster=cluster, data=data)


async def produce(bootstrap: str, records: list[tuple[str, bytes, bytes]]) -> None:
    producer = new_producer(bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for topic, key, value in records:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def test_reports_show_health_revisions_images_and_state(local_fleet: RunningFleet, running_hub: Any) -> None:
    kafka = local_fleet.kafka_bootstrap
    cluster, other, app = unique(), unique(), unique("app")
    garbage = b'{"not json ' + uuid.uuid4().hex.encode()
    hub: RunningHub
    async with running_hub() as hub:
        client = hub.client
        for name, env in ((cluster, "prod"), (other, "staging")):
            assert (await client.post("/api/v1/clusters", json={"id": name, "labels": {"env": env}})).status_code == 201
        response = await client.put(f"/api/v1/applications/{app}", json={"manifests": [DEPLOYMENT], "selector": ""})
        assert response.status_code == 201, response.text
        await wait_desired(kafka, cluster, 1)
        assert (await client.get(f"/api/v1/clusters/{cluster}")).json()["state"] == "pending"

        await produce(
            kafka,
            [
                # Unreadable, then from a cluster the hub does not know: both skipped, neither stops the line.
                (STATUS_TOPIC, status_key(cluster, app), garbage),
                (STATUS_TOPIC, status_key("h-unknown", app), encode(status("h-unknown", app, 1, Health.READY, []))),
                (HEARTBEAT_TOPIC, heartbeat_key(cluster), encode(heartbeat(cluster))),
                (STATUS_TOPIC, status_key(cluster, app), encode(status(cluster, app, 1, Health.READY, ["nginx:1.25"]))),
                (
                    STATUS_TOPIC,
                    status_key(other, app),
                    encode(status(other, app, 1, Health.PROGRESSING, ["docker.io/library/nginx:1.27"])),
                ),
                # Older than what is stored (generation 0 < 1): ignored.
                (STATUS_TOPIC, status_key(cluster, app), encode(status(cluster, app, 0, Health.DEGRADED, []))),
            ],
        )

        async def reported() -> dict[str, Any] | None:
            body: dict[str, Any] = (await client.get(f"/api/v1/clusters/{cluster}")).json()
            ready = body["state"] == "ready" and body["applications"] and body["applications"][0]["health"] == "Ready"
            stale_seen = hub.metric("fleetcast_hub_reports_skipped_total", {"reason": "stale"}) >= 1
            return body if ready and stale_seen else None

        body = await eventually(reported, 60, "reports ingested")
        assert body["facts"] == {
            "kubernetes_version": "v1.36.3",
            "agent_version": "0.1.0",
            "nodes": 2,
            "ready_nodes": 1,
        }
        (entry,) = body["applications"]
        assert entry["application"] == app
        assert (entry["desired_revision"], entry["observed_revision"], entry["last_applied_revision"]) == (1, 1, 1)
        assert (entry["images"], entry["errors"], entry["removed"]) == (["nginx:1.25"], [], False)

        application = (await client.get(f"/api/v1/applications/{app}")).json()
        by_cluster = {c["cluster"]: c for c in application["clusters"]}
        assert by_cluster[cluster]["objects"][0]["ref"]["kind"] == "Deployment"
        assert by_cluster[other]["health"] == "Progressing"

        versions = (await client.get("/api/v1/versions", params={"selector": "env=prod", "application": app})).json()
        assert versions == {
            "items": [
                {
                    "application": app,
                    "revision": 1,
                    "clusters": [{"cluster": cluster, "revision": 1, "health": "Ready", "images": ["nginx:1.25"]}],
                }
            ]
        }
        images = (await client.get("/api/v1/images", params={"name": "nginx"})).json()
        assert images == {
            "items": [
                {
                    "image": "nginx",
                    "versions": [{"version": "1.25", "clusters": [cluster]}, {"version": "1.27", "clusters": [other]}],
                }
            ]
        }

        # Other hubs of the test session read the same topic in their own groups: only ours counts.
        group = hub.settings.report_group_id.encode()
        dead = [
            (value, dict(headers))
            for _key, value, headers in await read_topic(kafka, DLQ_TOPIC)
            if value == garbage and dict(headers).get("consumer") == group
        ]
        assert len(dead) == 1
        assert dead[0][1]["reason"] == b"malformed-json"
        assert dead[0][1]["source-topic"] == STATUS_TOPIC.encode()
        assert hub.metric("fleetcast_hub_reports_rejected_total", {"reason": "malformed-json"}) >= 1
        assert hub.metric("fleetcast_hub_reports_skipped_total", {"reason": "unknown-cluster"}) >= 1

        # The gauges are refreshed by the hub's collector loop; one refresh now rather than waiting for it.
        await hub.app.state.gauges.refresh()
        metrics = (await client.get("/metrics")).text
        assert 'fleetcast_hub_clusters{state="ready"} 1.0' in metrics
        assert 'fleetcast_hub_clusters{state="pending"} 1.0' in metrics
        assert 'fleetcast_hub_applications_health{health="Ready"} 1.0' in metrics
        assert 'fleetcast_hub_applications_health{health="Progressing"} 1.0' in metrics
        assert 'fleetcast_hub_reports_ingested_total{type="status"}' in metrics
        assert (await client.get("/readyz")).json() == {"status": "ok", "database": "ok", "kafka": "ok"}


async def test_a_cluster_without_heartbeats_becomes_unreachable(local_fleet: RunningFleet, running_hub: Any) -> None:
    """Time is the hub's clock, moved by the test: nothing here races the wall clock."""
    cluster = unique()
    clock = ManualClock()
    async with running_hub(clock=clock, unreachable_after_seconds=30) as hub:
        assert (await hub.client.post("/api/v1/clusters", json={"id": cluster})).status_code == 201
        await produce(
            local_fleet.kafka_bootstrap,
            [(HEARTBEAT_TOPIC, heartbeat_key(cluster), encode(heartbeat(cluster, clock.now)))],
        )

        async def state_is(wanted: str) -> bool:
            return bool((await hub.client.get(f"/api/v1/clusters/{cluster}")).json()["state"] == wanted)

        await eventually(lambda: state_is("ready"), 60, "ready after a heartbeat")
        clock.now += timedelta(seconds=30)
        assert await state_is("ready")  # exactly at the threshold: still ready
        # No further heartbeat: past the threshold the cluster is unreachable.
        clock.now += timedelta(seconds=1)
        assert await state_is("unreachable")
        listed = (await hub.client.get("/api/v1/clusters")).json()["items"]
        assert [c["state"] for c in listed if c["id"] == cluster] == ["unreachable"]
