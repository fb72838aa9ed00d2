"""Kubernetes Events forwarding on a real cluster and real Kafka: a Warning about a managed object,
created through the API server as a controller would, reaches the events topic and decodes; Normal
events and events of objects Fleetcast does not manage do not. A Warning about a Pod the real
controllers made for a managed Deployment is forwarded for the Deployment's application."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry

from schemas.v1 import KubeEventsEvent, ObjectRef
from schemas.v1.drift import DriftPolicy
from schemas.v1.envelope import decode_kube_events
from schemas.v1.topics import EVENTS_TOPIC, events_key
from spoke.applier import Applier
from spoke.drift.detector import DriftDetector
from spoke.kube import Kube
from spoke.kubeevents.forwarder import KubeEventsForwarder, PrometheusKubeEventMetrics
from spoke.metrics import SpokeMetrics
from spoke.planner import prepare
from tests.integration.spoke.conftest import Fleet, configmap, deployment, namespace
from tests.kafka import Record, first_record
from tests.kube import checked
from tests.waiting import eventually_async


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def event(ns: str, about: str, kind: str, event_type: str, reason: str, message: str) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    api_version = "apps/v1" if kind == "Deployment" else "v1"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": _name(f"{about}.event"), "namespace": ns},
        "involvedObject": {"apiVersion": api_version, "kind": kind, "name": about, "namespace": ns},
        "type": event_type,
        "reason": reason,
        "message": message,
        "count": 1,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "source": {"component": "fleetcast-test-controller"},
    }


@contextlib.asynccontextmanager
async def forwarding(fleet: Fleet, registry: CollectorRegistry) -> AsyncIterator[tuple[Kube, Applier]]:
    """A forwarder running on the real cluster and Kafka, and the applier that tells it what is managed."""
    kube = await Kube.connect(fleet.kubeconfig)
    settings = fleet.settings(events_flush_interval=0.2)

    class NoMetrics:
        def drifted(self, mode: Any, count: int) -> None: ...
        def detected(self, kind: Any) -> None: ...
        def corrected(self) -> None: ...

    detector = DriftDetector(
        fleet.cluster, lambda app: DriftPolicy(mode="alert"), lambda app, why: None, lambda app: None, NoMetrics()
    )
    metrics = SpokeMetrics(registry).for_cluster(fleet.cluster)

    async def send(topic: str, key: bytes, value: bytes) -> None:
        await fleet.producer.send_and_wait(topic, value, key=key)

    forwarder = KubeEventsForwarder(
        fleet.cluster,
        kube,
        settings,
        detector.application_of,
        send,
        PrometheusKubeEventMetrics(metrics),
    )
    task = asyncio.create_task(forwarder.run())
    try:
        yield kube, Applier(kube, settings, observer=detector)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await kube.close()


def batch_of(fleet: Fleet, application: str, reason: str) -> Callable[[Record], bool]:
    def ours(record: Record) -> bool:
        if record.key != events_key(fleet.cluster) or record.value is None:
            return False
        batch = decode_kube_events(record.value).data
        return batch.application == application and any(e.reason == reason for e in batch.events)

    return ours


async def test_a_warning_about_a_managed_object_reaches_the_events_topic(fleet: Fleet) -> None:
    application, ns = _name("events"), _name("ns")
    registry = CollectorRegistry()
    ns_ref = ObjectRef(api_version="v1", kind="Namespace", name=ns)
    async with forwarding(fleet, registry) as (kube, applier):
        try:
            manifests = [namespace(ns), deployment("web", ns, replicas=0)]
            results = await applier.apply_all([prepare(m, application, m["kind"] != "Namespace") for m in manifests])
            assert all(r.outcome.action != "failed" for r in results)
            await fleet.create(configmap("not-ours", ns))

            await fleet.create(event(ns, "web", "Deployment", "Normal", "ScalingReplicaSet", "scaled: not forwarded"))
            await fleet.create(event(ns, "not-ours", "ConfigMap", "Warning", "Whatever", "not managed: not forwarded"))
            await fleet.create(event(ns, "web", "Deployment", "Warning", "FailedCreate", "quota exceeded"))

            record = await first_record(
                fleet.bootstrap, EVENTS_TOPIC, batch_of(fleet, application, "FailedCreate"), 60, "kube-events batch"
            )
            assert record.value is not None
            batch = decode_kube_events(record.value)
            assert isinstance(batch, KubeEventsEvent) and batch.source == f"spoke/{fleet.cluster}"
            assert [(e.object.kind, e.object.name, e.type, e.reason, e.message) for e in batch.data.events] == [
                ("Deployment", "web", "Warning", "FailedCreate", "quota exceeded")
            ]
            assert batch.data.dropped == 0 and batch.data.events[0].source == "fleetcast-test-controller"
            assert batch.data.events[0].owner is None
            assert (
                registry.get_sample_value(
                    "fleetcast_spoke_kube_events_total", {"cluster": fleet.cluster, "result": "forwarded"}
                )
                == 1
            )
        finally:
            await kube.delete(ns_ref)


async def test_a_warning_about_a_pod_of_a_managed_deployment_is_forwarded_for_its_application(fleet: Fleet) -> None:
    """The real deployment and replicaset controllers make the ReplicaSet and the Pod (Fleetcast applied
    neither); a kubelet-like Warning about the Pod reaches the hub for the Deployment's application,
    still saying it is about the Pod."""
    application, ns = _name("events"), _name("ns")
    registry = CollectorRegistry()
    ns_ref = ObjectRef(api_version="v1", kind="Namespace", name=ns)
    async with forwarding(fleet, registry) as (kube, applier):
        try:
            manifests = [namespace(ns), deployment("web", ns, replicas=1)]
            results = await applier.apply_all([prepare(m, application, m["kind"] != "Namespace") for m in manifests])
            assert all(r.outcome.action != "failed" for r in results)
            pods = await fleet.client.resources.get(api_version="v1", kind="Pod")

            async def a_pod_of_web() -> dict[str, Any] | None:
                listed = checked(await fleet.client.get(pods, namespace=ns, label_selector="app=web")).to_dict()
                items = [p for p in listed.get("items") or [] if (p.get("metadata") or {}).get("ownerReferences")]
                return items[0] if items else None

            pod = await eventually_async(a_pod_of_web, 90, "a pod of the managed deployment")
            [owner] = pod["metadata"]["ownerReferences"]
            assert owner["kind"] == "ReplicaSet"  # made by the deployment controller, not by Fleetcast
            # As the kubelet reports a crash loop: about the Pod (with its uid), from component kubelet.
            backoff = event(ns, pod["metadata"]["name"], "Pod", "Warning", "BackOff", "Back-off restarting failed")
            backoff["involvedObject"]["uid"] = pod["metadata"]["uid"]
            backoff["involvedObject"]["fieldPath"] = "spec.containers{web}"
            backoff["source"] = {"component": "kubelet", "host": pod["spec"].get("nodeName") or ""}
            await fleet.create(backoff)

            record = await first_record(
                fleet.bootstrap, EVENTS_TOPIC, batch_of(fleet, application, "BackOff"), 60, "kube-events batch"
            )
            assert record.value is not None
            [forwarded] = [e for e in decode_kube_events(record.value).data.events if e.reason == "BackOff"]
            assert (forwarded.object.kind, forwarded.object.name, forwarded.object.namespace) == (
                "Pod",
                pod["metadata"]["name"],
                ns,
            )
            assert forwarded.owner == ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace=ns)
            assert (forwarded.type, forwarded.source) == ("Warning", "kubelet")
            assert (
                registry.get_sample_value(
                    "fleetcast_spoke_kube_events_total", {"cluster": fleet.cluster, "result": "unresolved"}
                )
                == 0
            )
        finally:
            await kube.delete(ns_ref)
