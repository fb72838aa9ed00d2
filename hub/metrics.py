"""Prometheus metrics of the hub, on a registry the app is given (tests get their own)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from hub.clusterstates import ClusterState
from hub.rollouts.model import RunState
from schemas.v1 import Health

# Report types whose ingest lag is measured (docs/metrics.md: status, heartbeat, kube-events).
REPORT_TYPES = ("status", "heartbeat", "kube-events")


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
        # -- issue 8: API latency, lags, and the gauges the collector (hub/observability) refreshes --
        self.http_request_duration = Histogram(
            "fleetcast_hub_http_request_duration_seconds",
            "API latency by method, route template (never the raw path) and status code.",
            ["method", "route", "status"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
        self.outbox_oldest_age = Gauge(
            "fleetcast_hub_outbox_oldest_age_seconds",
            "Age of the oldest unpublished outbox record, on the hub's clock (0 when none waits).",
            registry=registry,
        )
        self.report_ingest_lag = Histogram(
            "fleetcast_hub_report_ingest_lag_seconds",
            "From the time a spoke made a report to the hub storing it, on the hub's clock, by type.",
            ["type"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=registry,
        )
        self.cluster_up = Gauge(
            "fleetcast_hub_cluster_up",
            "1 while the cluster's heartbeats arrive in time, 0 when unreachable or never heard from.",
            ["cluster"],
            registry=registry,
        )
        self.cluster_heartbeat_age = Gauge(
            "fleetcast_hub_cluster_heartbeat_age_seconds",
            "Seconds since the cluster's last heartbeat, on the hub's clock (no series before the first).",
            ["cluster"],
            registry=registry,
        )
        self.cluster_applications = Gauge(
            "fleetcast_hub_cluster_applications",
            "Applications placed on each cluster by reported health (only health values that occur).",
            ["cluster", "health"],
            registry=registry,
        )
        self.application_clusters = Gauge(
            "fleetcast_hub_application_clusters",
            "Clusters of each application by reported health (only health values that occur).",
            ["application", "health"],
            registry=registry,
        )
        self.image_clusters = Gauge(
            "fleetcast_hub_image_clusters",
            "Clusters running each image (canonical repository) at each version (tag, else digest).",
            ["image", "version"],
            registry=registry,
        )
        self.rollout_runs = Gauge(
            "fleetcast_hub_rollout_runs", "Rollout runs by state, finished ones included.", ["state"], registry=registry
        )
        self.rollout_active_runs = Gauge(
            "fleetcast_hub_rollout_active_runs",
            "1 per active rollout run, labelled with its current wave (by name).",
            ["application", "strategy", "state", "wave"],
            registry=registry,
        )
        self.approvals_pending = Gauge(
            "fleetcast_hub_approvals_pending", "Rollout waves waiting for an approval.", registry=registry
        )
        self.dlq_records = Gauge(
            "fleetcast_hub_dlq_records",
            "Records on the dead-letter topic now (end - beginning offsets; any writer: hub or spokes).",
            registry=registry,
        )
        for report_type in REPORT_TYPES:
            self.report_ingest_lag.labels(type=report_type)
        for run_state in RunState:
            self.rollout_runs.labels(state=run_state.value)
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
