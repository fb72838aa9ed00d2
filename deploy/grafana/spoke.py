"""Spoke internals, per cluster (the `cluster` variable, several or all): reconcile rate and duration,
apply errors by class, the age of the last successful reconcile, desired-state records read, DLQ,
reports sent, Kubernetes Events forwarded and dropped, watches and live-diff dry runs."""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as model

from deploy.grafana.panels import RATE, cluster_variable, dashboard, finish, graph, q, quantiles, row

UID = "fleetcast-spoke"
C = 'cluster=~"$cluster"'


def rate_by(metric: str, label: str) -> str:
    return f"sum by (cluster, {label}) (rate({metric}{{{C}}}[{RATE}]))"


def build() -> model.Dashboard:
    internals = (
        dashboard(
            UID,
            "Fleetcast / Spoke internals",
            "Per cluster: reconciles, apply errors, last successful reconcile, records read, DLQ, reports, "
            "Kubernetes Events forwarded and dropped.",
            cluster_variable(all_clusters=True),
        )
        .with_row(row("Reconciles"))
        .with_panel(
            graph(
                "Reconciles by result",
                "Reconciles of one application per second, per cluster and result (success, requeue, error).",
                q(rate_by("fleetcast_spoke_reconcile_total", "result"), "{{cluster}} {{result}}"),
                unit="ops",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Reconcile duration",
                "Time to reconcile one application per cluster: median and 99th percentile.",
                *quantiles("fleetcast_spoke_reconcile_time_seconds", by="cluster", matchers=C),
                unit="s",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Last successful reconcile",
                "Seconds since each cluster's spoke last completed a reconcile without error.",
                q(
                    "time() - max by (cluster) "
                    f"(fleetcast_spoke_last_successful_reconcile_timestamp_seconds{{{C}}} > 0)",
                    "{{cluster}}",
                ),
                unit="s",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Apply errors by class",
                "Objects the cluster refused per second, by error class (retriable, not-ready, terminal).",
                q(rate_by("fleetcast_spoke_apply_errors_total", "class"), "{{cluster}} {{class}}"),
                unit="ops",
            )
        )
        .with_panel(
            graph(
                "Managed objects and applications",
                "Objects the spoke manages and applications installed, per cluster.",
                q(f"max by (cluster) (fleetcast_spoke_managed_objects{{{C}}})", "{{cluster}} objects"),
                q(f"max by (cluster) (fleetcast_spoke_applications{{{C}}})", "{{cluster}} applications"),
            )
        )
        .with_row(row("Desired state in"))
        .with_panel(
            graph(
                "Desired-state records read",
                "Records read from each cluster's desired topic per second, by type.",
                q(rate_by("fleetcast_spoke_events_total", "type"), "{{cluster}} {{type}}"),
                unit="ops",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Consumer lag",
                "Desired-topic records not yet applied (end offset - position), per cluster.",
                q(f"max by (cluster) (fleetcast_spoke_consumer_lag_records{{{C}}})", "{{cluster}}"),
                width=8,
            )
        )
        .with_panel(
            graph(
                "Records sent to the DLQ",
                "Desired-topic records the spoke could not use and set aside on the DLQ, by reason.",
                q(rate_by("fleetcast_spoke_dlq_total", "reason"), "{{cluster}} {{reason}}"),
                unit="ops",
                width=8,
            )
        )
        .with_row(row("Reports and events out"))
        .with_panel(
            graph(
                "Reports sent by type",
                "Reports sent to the hub per second (status, heartbeat, kube-events).",
                q(rate_by("fleetcast_spoke_reports_total", "type"), "{{cluster}} {{type}}"),
                unit="ops",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Kubernetes Events",
                "Events of managed objects forwarded to the hub, and dropped by the rate limit, per second.",
                q(rate_by("fleetcast_spoke_kube_events_total", "result"), "{{cluster}} {{result}}"),
                unit="ops",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Watch restarts and live-diff dry runs",
                "Watches re-opened by reason, and live-diff dry-run requests by result, per second.",
                q(rate_by("fleetcast_spoke_watch_restarts_total", "reason"), "{{cluster}} watch {{reason}}"),
                q(rate_by("fleetcast_spoke_dry_runs_total", "result"), "{{cluster}} dry run {{result}}"),
                unit="ops",
                width=8,
            )
        )
    )
    return finish(internals)
