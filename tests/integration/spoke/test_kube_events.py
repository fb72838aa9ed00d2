"""Kubernetes Events forwarding on a real cluster and real Kafka: a Warning about a managed object,
created through the API server as a controller would, reaches the events topic and decodes; Normal
events and events of objects Fleetcast does not manage do not."""

from __future__ import annotations

import asyncio
import uuid
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


async def test_a_warning_about_a_managed_object_reaches_the_events_topic(fleet: Fleet) -> None:
    application, ns = _name("events"), _name("ns")
    registry = CollectorRegistry()
    kube = await Kube.connect(fleet.kubeconfig)
    settings = fleet.settings(events_flush_interval=0.2)

    class NoMetrics:
        def drifted(self, mode: Any, count: int) -> None: ...
        def detected(self, kind: Any) -> None: ...
        def corrected(self) -> None: ...

    detector = DriftDetector(
        fleet.cluster, lambda app: DriftPolicy(mode="alert"), lambda app, why: None, lambda app: None, NoMetrics()
    )
    applier = Applier(kube, settings, observer=detector)
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
    ns_ref = ObjectRef(api_version="v1", kind="Namespace", name=ns)
    try:
        manifests = [namespace(ns), deployment("web", ns, replicas=0)]
        results = await applier.apply_all([prepare(m, application, m["kind"] != "Namespace") for m in manifests])
        assert all(r.outcome.action != "failed" for r in results)
        await fleet.create(configmap("not-ours", ns))

        await fleet.create(event(ns, "web", "Deployment", "Normal", "ScalingReplicaSet", "scaled: not forwarded"))
        await fleet.create(event(ns, "not-ours", "ConfigMap", "Warning", "Whatever", "not managed: not forwarded"))
        await fleet.create(event(ns, "web", "Deployment", "Warning", "FailedCreate", "quota exceeded"))

        def ours(record: Record) -> bool:
            if record.key != events_key(fleet.cluster) or record.value is None:
                return False
            return decode_kube_events(record.value).data.application == application

        record = await first_record(fleet.bootstrap, EVENTS_TOPIC, ours, 60, "kube-events batch")
        assert record.value is not None
        batch = decode_kube_events(record.value)
        assert isinstance(batch, KubeEventsEvent) and batch.source == f"spoke/{fleet.cluster}"
        assert [(e.object.kind, e.object.name, e.type, e.reason, e.message) for e in batch.data.events] == [
            ("Deployment", "web", "Warning", "FailedCreate", "quota exceeded")
        ]
        assert batch.data.dropped == 0 and batch.data.events[0].source == "fleetcast-test-controller"
        assert (
            registry.get_sample_value(
                "fleetcast_spoke_kube_events_total", {"cluster": fleet.cluster, "result": "forwarded"}
            )
            == 1
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await kube.delete(ns_ref)
        await kube.close()
