"""Prometheus metrics of the spoke (docs/metrics.md, "Spoke" table is the contract), on a registry it is
given (never the global one).

Every metric carries a `cluster` label, so several spokes can live in one process and share one registry
and one scrape: `SpokeMetrics` owns the metric objects (one per registry), `SpokeMetrics.for_cluster`
hands each spoke a `ClusterMetrics` view whose metrics are already bound to its cluster. Code in a spoke
only ever sees its own view: `view.reconcile_total.labels("success").inc()`, `view.applications.set(3)`.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

CLUSTER = "cluster"

M = TypeVar("M", bound=MetricWrapperBase)


class Bound(Generic[M]):
    """A labelled metric with its `cluster` label already given: `.labels(...)` takes the other labels."""

    def __init__(self, metric: M, cluster: str) -> None:
        self._metric = metric
        self._cluster = cluster

    def labels(self, *values: str) -> M:
        return self._metric.labels(self._cluster, *values)


class SpokeMetrics:
    """The metric objects of every spoke in this process, on one registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.reconcile_total = Counter(
            "fleetcast_spoke_reconcile_total",
            "Reconciles of one application, by result (success, requeue, error).",
            [CLUSTER, "result"],
            registry=registry,
        )
        self.reconcile_time = Histogram(
            "fleetcast_spoke_reconcile_time_seconds",
            "Time to reconcile one application: plan, apply, inventory and prune.",
            [CLUSTER],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=registry,
        )
        self.last_successful_reconcile = Gauge(
            "fleetcast_spoke_last_successful_reconcile_timestamp_seconds",
            "When a reconcile last completed without error (Unix time).",
            [CLUSTER],
            registry=registry,
        )
        self.apply_errors_total = Counter(
            "fleetcast_spoke_apply_errors_total",
            "Objects the cluster refused, by error class (retriable, not-ready, terminal).",
            [CLUSTER, "class"],
            registry=registry,
        )
        self.managed_objects = Gauge(
            "fleetcast_spoke_managed_objects", "Objects the spoke manages.", [CLUSTER], registry=registry
        )
        self.applications = Gauge(
            "fleetcast_spoke_applications", "Applications installed on this cluster.", [CLUSTER], registry=registry
        )
        # Drift and Kubernetes Events metrics: defined here so the contract lives in one place; the drift
        # detector and the events forwarder (spoke/drift, spoke/kubeevents) use them.
        self.drifted_objects = Gauge(
            "fleetcast_spoke_drifted_objects",
            "Managed objects drifted now (under alert, or correct before the re-apply).",
            [CLUSTER, "mode"],
            registry=registry,
        )
        self.drift_detected_total = Counter(
            "fleetcast_spoke_drift_detected_total",
            "Drift detected, by kind (modified, deleted).",
            [CLUSTER, "kind"],
            registry=registry,
        )
        self.drift_corrections_total = Counter(
            "fleetcast_spoke_drift_corrections_total",
            "Objects re-applied to correct drift.",
            [CLUSTER],
            registry=registry,
        )
        self.events_total = Counter(
            "fleetcast_spoke_events_total",
            "Desired-topic records read, by type (bundle, removal, tombstone, stale, duplicate, malformed).",
            [CLUSTER, "type"],
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "fleetcast_spoke_consumer_lag_records",
            "Desired-topic records not yet applied (end offset - position).",
            [CLUSTER],
            registry=registry,
        )
        self.dlq_total = Counter(
            "fleetcast_spoke_dlq_total",
            "Records the spoke sent to the dead-letter topic, by reason.",
            [CLUSTER, "reason"],
            registry=registry,
        )
        self.watch_restarts_total = Counter(
            "fleetcast_spoke_watch_restarts_total",
            "Watches re-opened, by reason (expired, gone, error).",
            [CLUSTER, "reason"],
            registry=registry,
        )
        self.reports_total = Counter(
            "fleetcast_spoke_reports_total",
            "Reports sent, by type (status, heartbeat, kube-events).",
            [CLUSTER, "type"],
            registry=registry,
        )
        self.kube_events_total = Counter(
            "fleetcast_spoke_kube_events_total",
            "Kubernetes Events of managed objects, by result (forwarded, dropped, unresolved).",
            [CLUSTER, "result"],
            registry=registry,
        )
        self.dry_runs_total = Counter(
            "fleetcast_spoke_dry_runs_total",
            "Live-diff dry-run requests, by result (answered, expired, malformed, failed).",
            [CLUSTER, "result"],
            registry=registry,
        )

    def for_cluster(self, cluster: str) -> ClusterMetrics:
        return ClusterMetrics(self, cluster)


# Label values known from the start: created at 0 so a dashboard shows 0, not "no data".
_KNOWN: dict[str, tuple[str, ...]] = {
    "reconcile_total": ("success", "requeue", "error"),
    "apply_errors_total": ("retriable", "not-ready", "terminal"),
    "drifted_objects": ("correct", "alert"),
    "drift_detected_total": ("modified", "deleted"),
    "events_total": ("bundle", "removal", "tombstone", "stale", "duplicate", "malformed"),
    "watch_restarts_total": ("expired", "gone", "error"),
    "reports_total": ("status", "heartbeat", "kube-events"),
    "kube_events_total": ("forwarded", "dropped", "unresolved"),
    "dry_runs_total": ("answered", "expired", "malformed", "failed"),
}


class ClusterMetrics:
    """One spoke's view of the metrics: everything already labelled with its cluster."""

    def __init__(self, metrics: SpokeMetrics, cluster: str) -> None:
        self.cluster = cluster
        self.registry = metrics.registry
        self.reconcile_total = Bound(metrics.reconcile_total, cluster)
        self.reconcile_time = metrics.reconcile_time.labels(cluster)
        self.last_successful_reconcile = metrics.last_successful_reconcile.labels(cluster)
        self.apply_errors_total = Bound(metrics.apply_errors_total, cluster)
        self.managed_objects = metrics.managed_objects.labels(cluster)
        self.applications = metrics.applications.labels(cluster)
        self.drifted_objects = Bound(metrics.drifted_objects, cluster)
        self.drift_detected_total = Bound(metrics.drift_detected_total, cluster)
        self.drift_corrections_total = metrics.drift_corrections_total.labels(cluster)
        self.events_total = Bound(metrics.events_total, cluster)
        self.consumer_lag = metrics.consumer_lag.labels(cluster)
        self.dlq_total = Bound(metrics.dlq_total, cluster)
        self.watch_restarts_total = Bound(metrics.watch_restarts_total, cluster)
        self.reports_total = Bound(metrics.reports_total, cluster)
        self.kube_events_total = Bound(metrics.kube_events_total, cluster)
        self.dry_runs_total = Bound(metrics.dry_runs_total, cluster)
        for name, values in _KNOWN.items():
            bound: Bound[MetricWrapperBase] = getattr(self, name)
            for value in values:
                bound.labels(value)
