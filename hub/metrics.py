"""Prometheus metrics of the hub, on a registry the app is given (tests get their own)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from hub.clusterstates import ClusterState
from schemas.v1 import Health


class HubMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.published = Counter(
            "fleetcast_hub_published",
            "Outbox records published to Kafka (acknowledged by all replicas).",
            registry=registry,
        )
        self.publish_failed = Counter(
            "fleetcast_hub_publish_failed",
            "Outbox records the broker refused for good and that were set aside.",
            registry=registry,
        )
        self.publish_latency = Histogram(
            "fleetcast_hub_publish_latency_seconds",
            "From the commit of a change to the broker's acknowledgement of its record.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=registry,
        )
        self.reports_ingested = Counter(
            "fleetcast_hub_reports_ingested",
            "Reports stored, by type (status, heartbeat).",
            ["type"],
            registry=registry,
        )
        self.reports_skipped = Counter(
            "fleetcast_hub_reports_skipped",
            "Readable reports not stored, by reason (stale, unknown-cluster).",
            ["reason"],
            registry=registry,
        )
        self.reports_rejected = Counter(
            "fleetcast_hub_reports_rejected",
            "Unreadable reports sent to the DLQ, by reason.",
            ["reason"],
            registry=registry,
        )
        self.clusters = Gauge("fleetcast_hub_clusters", "Registered clusters by state.", ["state"], registry=registry)
        self.applications_health = Gauge(
            "fleetcast_hub_applications_health",
            "Placed (cluster, application) pairs by reported health.",
            ["health"],
            registry=registry,
        )
        self.outbox_pending = Gauge(
            "fleetcast_hub_outbox_pending", "Outbox records not yet published.", registry=registry
        )
        # Every label value exists from the start, so a dashboard shows 0 rather than no data.
        for state in ClusterState:
            self.clusters.labels(state=state.value)
        for health in Health:
            self.applications_health.labels(health=health.value)
        for kind in ("status", "heartbeat"):
            self.reports_ingested.labels(type=kind)
        self.notification_deliveries = Counter(
            "fleetcast_hub_notification_deliveries",
            "Notification delivery attempts recorded, by result (delivered, retried, failed).",
            ["result"],
            registry=registry,
        )
        for result in ("delivered", "retried", "failed"):
            self.notification_deliveries.labels(result=result)
        # Drift (hub/drift): the gauge is computed from the drift index when scraped; the counter grows
        # as ingest stores reports whose corrections grew.
        self.drifted_objects = Gauge(
            "fleetcast_hub_drifted_objects",
            "Objects reported drifted and not (yet) corrected.",
            ["cluster", "application", "mode"],
            registry=registry,
        )
        self.drift_corrections = Counter(
            "fleetcast_hub_drift_corrections",
            "Drift corrections reported by spokes.",
            ["cluster", "application"],
            registry=registry,
        )
        self.reports_ingested.labels(type="kube-events")  # Kubernetes Events batches (hub/kubeevents)
