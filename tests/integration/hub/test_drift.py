"""Drift and Kubernetes Events at the hub, on the real Kafka, on SQLite and PostgreSQL: an application's
drift policy goes out in its bundles on the real desired topic (a change of it alone is a new release);
status reports carrying drift, produced to the real status topic, fill the drift list, the status view,
describe, the audit log and notifications (drift.detected, drift.corrected) and the metrics; Kubernetes
Events batches produced to the real events topic are stored bounded, re-sent series are updated not
repeated, and an unreadable record goes to the DLQ."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.drift.cursors import MAX_LIMIT
from schemas.v1 import BundleEvent, Health, ObjectRef, ObjectStatus, StatusEvent, StatusReport, encode
from schemas.v1.drift import DriftPolicy, ObjectDrift
from schemas.v1.envelope import KubeEventsEvent
from schemas.v1.kubeevents import KubeEvent, KubeEventBatch
from schemas.v1.reports import Condition
from schemas.v1.topics import DLQ_TOPIC, EVENTS_TOPIC, STATUS_TOPIC, events_key, status_key
from tests.integration.conftest import RunningFleet
from tests.integration.hub.conftest import RunningHub, read_topic, unique, wait_desired
from tests.integration.hub.test_notifications import receiver, subscribe
from tests.integration.hub.test_reports import produce
from tests.waiting import eventually_async as eventually

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"replicas": 2},
}
REF = ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace="shop")
IMAGE_PATH = "spec.template.spec.containers[name=web].image"


async def test_a_drift_policy_goes_out_in_the_bundles_and_alone_makes_a_release(
    local_fleet: RunningFleet, running_hub: Any
) -> None:
    kafka = local_fleet.kafka_bootstrap
    cluster, app = unique(), unique("app")
    policy = {"mode": "alert", "ignore": [{"kind": "Deployment", "paths": ["spec.replicas"]}]}
    hub: RunningHub
    async with running_hub() as hub:
        client = hub.client
        assert (await client.post("/api/v1/clusters", json={"id": cluster, "labels": {}})).status_code == 201
        body = {"manifests": [DEPLOYMENT], "selector": "", "drift": policy}
        created = await client.put(f"/api/v1/applications/{app}", json=body)
        assert created.status_code == 201, created.text
        assert DriftPolicy.model_validate(created.json()["drift"]) == DriftPolicy.model_validate(policy)
        (first,) = await wait_desired(kafka, cluster, 1)
        assert isinstance(first, BundleEvent)
        assert first.data.drift.mode == "alert"
        assert first.data.drift.ignore[0].paths == ["spec.replicas"]

        # A path that does not parse: a 422 naming the rule and the path; nothing stored or sent.
        bad = {"mode": "alert", "ignore": [{"kind": "Deployment", "paths": ["spec.replicas"]}, {"paths": ["a..b"]}]}
        refused = await client.put(f"/api/v1/applications/{app}", json={"drift": bad})
        assert refused.status_code == 422, refused.text
        assert "ignore rule 2" in refused.text and "'a..b'" in refused.text
        assert (await client.get(f"/api/v1/applications/{app}")).json()["revision"] == 1

        # The same policy again: nothing new. The policy alone changed: a new release with it.
        assert (await client.put(f"/api/v1/applications/{app}", json=body)).status_code == 200
        changed = await client.put(f"/api/v1/applications/{app}", json={"drift": {"mode": "correct"}})
        assert changed.status_code == 201, changed.text
        assert changed.json()["revision"] == 2
        assert changed.json()["drift"] == {"mode": "correct", "ignore": []}
        second = (await wait_desired(kafka, cluster, 2))[1]
        assert isinstance(second, BundleEvent)
        assert (second.data.revision, second.data.drift.mode, second.data.drift.ignore) == (2, "correct", [])
        assert second.data.digest == first.data.digest  # the manifests did not change
        releases = (await client.get(f"/api/v1/applications/{app}/releases")).json()["items"]
        assert [(r["revision"], r["drift"]["mode"]) for r in releases] == [(2, "correct"), (1, "alert")]
        # Leaving `drift` out keeps it; the diff preview of a manifest change still works.
        kept = await client.put(f"/api/v1/applications/{app}", json={"selector": ""})
        assert kept.status_code == 200 and kept.json()["drift"]["mode"] == "correct"
        preview = await client.post(f"/api/v1/applications/{app}/diff", json={"manifests": [DEPLOYMENT]})
        assert preview.status_code == 200, preview.text


def report(
    cluster: str,
    app: str,
    *,
    drift: ObjectDrift | None,
    corrections: int = 0,
    time: datetime,
    conditions: list[Condition] | None = None,
) -> StatusEvent:
    status = ObjectStatus(
        ref=REF,
        action="applied",
        health=Health.READY,
        message="2 of 2 replicas ready",
        conditions=conditions or [],
        drift=drift,
        corrections=corrections,
        last_correction=ObjectDrift(kind="modified", fields=[IMAGE_PATH], managers=["kubectl"], detected_at=time)
        if corrections
        else None,
    )
    data = StatusReport(
        cluster=cluster,
        application=app,
        observed_generation=1,
        observed_revision=1,
        last_applied_revision=1,
        last_attempted_revision=1,
        health=Health.READY,
        objects=[status],
        drift_mode="alert" if corrections == 0 else "correct",
        time=time,
    )
    return StatusEvent(source=f"spoke/{cluster}", cluster=cluster, data=data)


async def audit_actions(hub: RunningHub, app: str) -> list[dict[str, Any]]:
    response = await hub.client.get("/api/v1/audit", params={"application": app, "action": "drift."})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_reported_drift_shows_in_the_list_status_describe_audit_notifications_and_metrics(
    local_fleet: RunningFleet, running_hub: Any
) -> None:
    kafka = local_fleet.kafka_bootstrap
    cluster, app = unique(), unique("app")
    hub: RunningHub
    async with receiver() as hooks, running_hub() as hub:
        client = hub.client
        assert (await client.post("/api/v1/clusters", json={"id": cluster, "labels": {}})).status_code == 201
        assert (
            await client.put(f"/api/v1/applications/{app}", json={"manifests": [DEPLOYMENT], "selector": ""})
        ).status_code == 201
        await subscribe(hub, url=hooks.url("/drift"), events=["drift.*"], applications=[app])
        await wait_desired(kafka, cluster, 1)

        t0 = datetime.now(UTC)
        drift = ObjectDrift(kind="modified", fields=[IMAGE_PATH], managers=["kubectl-patch"], detected_at=t0)
        drifted = report(cluster, app, drift=drift, time=t0)
        resent = report(cluster, app, drift=drift, time=t0 + timedelta(seconds=1))  # still drifting
        await produce(kafka, [(STATUS_TOPIC, status_key(cluster, app), encode(e)) for e in (drifted, resent)])

        async def listed() -> dict[str, Any] | None:
            body: dict[str, Any] = (await client.get("/api/v1/drift", params={"application": app})).json()
            return body if body["drifting"] == 1 and len(await audit_actions(hub, app)) >= 1 else None

        body = await eventually(listed, 60, "drift listed")
        (entry,) = body["items"]
        assert (entry["cluster"], entry["object"], entry["drift"]) == (cluster, "Deployment/shop/web", "modified")
        assert (entry["fields"], entry["managers"], entry["mode"]) == ([IMAGE_PATH], ["kubectl-patch"], "alert")
        status = (await client.get(f"/api/v1/applications/{app}")).json()
        assert status["clusters"][0]["drifted"] == 1
        described = (await client.get(f"/api/v1/applications/{app}/clusters/{cluster}")).json()
        assert described["drifted"] == 1
        assert described["objects"][0]["drift"]["fields"] == [IMAGE_PATH]
        await hooks.wait_for("/drift", "drift.detected")

        # The spoke corrected it (policy now correct): the drift is gone, the correction counted once.
        t1 = t0 + timedelta(seconds=5)
        corrected = report(cluster, app, drift=None, corrections=1, time=t1)
        again = report(cluster, app, drift=None, corrections=1, time=t1 + timedelta(seconds=1))
        await produce(kafka, [(STATUS_TOPIC, status_key(cluster, app), encode(e)) for e in (corrected, again)])

        async def corrections_counted() -> list[dict[str, Any]] | None:
            actions = await audit_actions(hub, app)
            return actions if any(a["action"] == "drift.corrected" for a in actions) else None

        actions = await eventually(corrections_counted, 60, "drift.corrected recorded")
        assert sorted(a["action"] for a in actions) == ["drift.corrected", "drift.detected"]  # once each
        detected = next(a for a in actions if a["action"] == "drift.detected")
        assert detected["actor"] == "system:drift" and detected["cluster"] == cluster
        assert detected["details"]["fields"] == [IMAGE_PATH]
        await hooks.wait_for("/drift", "drift.corrected")
        labels = {"cluster": cluster, "application": app}
        assert hub.metric("fleetcast_hub_drift_corrections_total", labels) == 1

        body = (await client.get("/api/v1/drift", params={"application": app, "cluster": cluster})).json()
        assert (body["total"], body["drifting"]) == (1, 0)
        assert body["items"][0]["corrections"] == 1
        assert (await client.get("/api/v1/drift", params={"application": app, "drifting": True})).json()["items"] == []
        metrics = (await client.get("/metrics")).text
        assert "fleetcast_hub_drift_corrections_total" in metrics
        assert f'fleetcast_hub_drifted_objects{{application="{app}"' not in metrics  # nothing drifts now

        # Bounded and checked: a limit above the most is refused; a made-up cursor is a 422.
        assert (await client.get("/api/v1/drift", params={"limit": MAX_LIMIT + 1})).status_code == 422
        assert (await client.get("/api/v1/drift", params={"cursor": "nope"})).status_code == 422
        assert (await client.get("/api/v1/drift", params={"cluster": "Not_A_Label"})).status_code == 422


def kube_events(cluster: str, app: str, events: list[KubeEvent], dropped: int = 0) -> KubeEventsEvent:
    batch = KubeEventBatch(cluster=cluster, application=app, events=events, dropped=dropped, time=datetime.now(UTC))
    return KubeEventsEvent(source=f"spoke/{cluster}", cluster=cluster, data=batch)


def warning(reason: str, at: datetime, *, count: int = 1, event_type: str = "Warning") -> KubeEvent:
    return KubeEvent.model_validate(
        {
            "object": REF,
            "type": event_type,
            "reason": reason,
            "message": f"{reason}: something happened",
            "count": count,
            "first_time": at,
            "last_time": at + timedelta(seconds=count),
            "source": "deployment-controller",
        }
    )


async def test_events_are_stored_bounded_newest_first_and_bad_records_go_to_the_dlq(
    local_fleet: RunningFleet, running_hub: Any
) -> None:
    kafka = local_fleet.kafka_bootstrap
    cluster, app = unique(), unique("app")
    garbage = b'{"type": "fleetcast.kube-events", ' + uuid.uuid4().hex.encode()
    hub: RunningHub
    async with running_hub(kube_events_keep=5) as hub:
        client = hub.client
        assert (await client.post("/api/v1/clusters", json={"id": cluster, "labels": {}})).status_code == 201
        assert (
            await client.put(f"/api/v1/applications/{app}", json={"manifests": [DEPLOYMENT], "selector": ""})
        ).status_code == 201
        now = datetime.now(UTC)
        old = [warning(f"Old{i}", now - timedelta(days=8, minutes=i)) for i in range(2)]  # past retention
        many = [warning(f"Reason{i}", now - timedelta(minutes=10 - i)) for i in range(8)]
        normal = warning("ScalingReplicaSet", now, event_type="Normal")
        await produce(
            kafka,
            [
                (EVENTS_TOPIC, events_key(cluster), garbage),
                (EVENTS_TOPIC, events_key(cluster), encode(kube_events(cluster, app, old + many[:4], dropped=3))),
                (EVENTS_TOPIC, events_key(cluster), encode(kube_events(cluster, app, many[4:], dropped=2))),
                # The same series again, grown: updated, not repeated.
                (
                    EVENTS_TOPIC,
                    events_key(cluster),
                    encode(kube_events(cluster, app, [warning("Reason7", now - timedelta(minutes=3), count=4)])),
                ),
                (EVENTS_TOPIC, events_key(cluster), encode(kube_events(cluster, app, [normal]))),
                (EVENTS_TOPIC, events_key("h-unknown"), encode(kube_events("h-unknown", app, [normal]))),
            ],
        )

        async def stored() -> dict[str, Any] | None:
            body: dict[str, Any] = (await client.get(f"/api/v1/applications/{app}/events")).json()
            return body if any(e["reason"] == "ScalingReplicaSet" for e in body["items"]) else None

        body = await eventually(stored, 60, "events stored")
        reasons = [e["reason"] for e in body["items"]]
        assert reasons == ["ScalingReplicaSet", "Reason7", "Reason6", "Reason5", "Reason4"]  # newest 5, newest first
        assert body["items"][1]["count"] == 4
        assert body["dropped"] == 5
        warnings = (
            await client.get(f"/api/v1/applications/{app}/events", params={"type": "Warning", "limit": 2})
        ).json()
        assert [e["reason"] for e in warnings["items"]] == ["Reason7", "Reason6"]
        other = (await client.get(f"/api/v1/applications/{app}/events", params={"cluster": unique()})).json()
        assert other["items"] == [] and other["dropped"] == 0
        described = (await client.get(f"/api/v1/applications/{app}/clusters/{cluster}")).json()
        assert described["events_dropped"] == 5
        assert described["health"] == "Unknown"  # no status report yet: its objects are not known
        assert hub.metric("fleetcast_hub_reports_ingested_total", {"type": "kube-events"}) >= 4

        group = f"{hub.settings.report_group_id}-events".encode()

        async def dead_lettered() -> list[Any] | None:
            # Every hub of the test session reads the events topic in its own group, and each sets the
            # record aside once: this hub's is the one naming its group.
            records = [
                headers
                for _key, value, headers in await read_topic(kafka, DLQ_TOPIC)
                if value == garbage and dict(headers).get("consumer") == group
            ]
            return records or None

        (headers,) = await eventually(dead_lettered, 30, "the unreadable record in the DLQ")
        named = dict(headers)
        assert named["source-topic"] == EVENTS_TOPIC.encode()

        # Errors name the problem; unknown things are 404s.
        assert (await client.get(f"/api/v1/applications/{unique('app')}/events")).status_code == 404
        assert (await client.get(f"/api/v1/applications/{app}/events", params={"type": "Error"})).status_code == 422
        assert (await client.get(f"/api/v1/applications/{app}/events", params={"limit": 0})).status_code == 422
        assert (await client.get(f"/api/v1/applications/{app}/clusters/{unique()}")).status_code == 404
        assert (await client.get(f"/api/v1/applications/{app}/clusters/Bad_Name")).status_code == 422


async def test_events_of_an_owned_pod_are_described_under_the_managed_deployment(
    local_fleet: RunningFleet, running_hub: Any
) -> None:
    kafka = local_fleet.kafka_bootstrap
    cluster, app = unique(), unique("app")
    hub: RunningHub
    async with running_hub() as hub:
        client = hub.client
        assert (await client.post("/api/v1/clusters", json={"id": cluster, "labels": {}})).status_code == 201
        assert (
            await client.put(f"/api/v1/applications/{app}", json={"manifests": [DEPLOYMENT], "selector": ""})
        ).status_code == 201
        await wait_desired(kafka, cluster, 1)
        now = datetime.now(UTC)
        pod = ObjectRef(api_version="v1", kind="Pod", name="web-7d4b9-x2", namespace="shop")
        backoff = warning("BackOff", now).model_copy(update={"object": pod, "owner": REF, "source": "kubelet"})
        await produce(
            kafka,
            [
                (STATUS_TOPIC, status_key(cluster, app), encode(report(cluster, app, drift=None, time=now))),
                (EVENTS_TOPIC, events_key(cluster), encode(kube_events(cluster, app, [backoff, warning("Own", now)]))),
            ],
        )

        async def described() -> dict[str, Any] | None:
            body: dict[str, Any] = (await client.get(f"/api/v1/applications/{app}/clusters/{cluster}")).json()
            objects = body.get("objects") or []
            return body if objects and len(objects[0]["events"]) == 2 else None

        body = await eventually(described, 60, "the pod's event under the deployment")
        [deployment] = body["objects"]
        assert deployment["object"] == "Deployment/shop/web"
        by_reason = {e["reason"]: e for e in deployment["events"]}
        assert (by_reason["BackOff"]["object"], by_reason["BackOff"]["owner"]) == (
            "Pod/shop/web-7d4b9-x2",
            "Deployment/shop/web",
        )
        assert by_reason["BackOff"]["owner_api_version"] == "apps/v1" and by_reason["Own"]["owner"] is None
        listed = (await client.get(f"/api/v1/applications/{app}/events")).json()
        assert {(e["object"], e["owner"]) for e in listed["items"]} == {
            ("Pod/shop/web-7d4b9-x2", "Deployment/shop/web"),
            ("Deployment/shop/web", None),
        }
