"""Prometheus metrics of the spoke, on a registry it is given (never the global one), named the
controller-runtime way."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.reconcile_total = Counter(
            "fleetcast_spoke_reconcile_total",
            "Reconciles of one application, by result (success, requeue, error).",
            ["result"],
            registry=registry,
        )
        self.reconcile_time = Histogram(
            "fleetcast_spoke_reconcile_time_seconds",
            "Time to reconcile one application: plan, apply, inventory and prune.",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=registry,
        )
        self.events_total = Counter(
            "fleetcast_spoke_events_total",
            "Desired-topic records read, by type (bundle, removal, tombstone, stale, duplicate, malformed).",
            ["type"],
            registry=registry,
        )
        self.dlq_total = Counter(
            "fleetcast_spoke_dlq_total",
            "Records sent to the dead-letter topic, by reason.",
            ["reason"],
            registry=registry,
        )
        self.managed_objects = Gauge(
            "fleetcast_spoke_managed_objects", "Objects the spoke manages across its applications.", registry=registry
        )
        self.applications = Gauge(
            "fleetcast_spoke_applications", "Applications installed on this cluster.", registry=registry
        )
        self.reports_total = Counter(
            "fleetcast_spoke_reports_total", "Reports sent, by type (status, heartbeat).", ["type"], registry=registry
        )
        self.dry_runs_total = Counter(
            "fleetcast_spoke_dry_runs_total",
            "Live-diff dry-run requests, by result (answered, expired, malformed, failed).",
            ["result"],
            registry=registry,
        )
