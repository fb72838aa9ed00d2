"""Cluster drill-down: one cluster (the `cluster` variable) as the hub sees it and as its spoke runs:
its applications by health, heartbeat age, reconciles and their errors and duration, drift, consumer lag
and watch restarts."""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as model

from deploy.grafana.panels import RATE, cluster_variable, dashboard, finish, graph, listing, q, quantiles, row, single

UID = "fleetcast-cluster"
C = 'cluster="$cluster"'


def build() -> model.Dashboard:
    drill_down = (
        dashboard(
            UID,
            "Fleetcast / Cluster",
            "One cluster: its applications by health, heartbeat, spoke reconciles, drift, consumer lag, watches.",
            cluster_variable(all_clusters=False),
        )
        .with_row(row("Cluster $cluster"))
        .with_panel(
            single(
                "Reachable",
                "Whether the cluster's heartbeats arrive in time (the hub's view).",
                q(f"max(fleetcast_hub_cluster_up{{{C}}})"),
                mappings={"1": ("reachable", "green"), "0": ("unreachable", "red")},
            )
        )
        .with_panel(
            single(
                "Heartbeat age",
                "Seconds since the cluster's last heartbeat, on the hub's clock.",
                q(f"max(fleetcast_hub_cluster_heartbeat_age_seconds{{{C}}})"),
                unit="s",
                warn=30,
                bad=120,
            )
        )
        .with_panel(
            single(
                "Applications installed",
                "Applications the spoke has installed on the cluster.",
                q(f"max(fleetcast_spoke_applications{{{C}}})"),
            )
        )
        .with_panel(
            single(
                "Managed objects",
                "Kubernetes objects the spoke manages on the cluster.",
                q(f"max(fleetcast_spoke_managed_objects{{{C}}})"),
            )
        )
        .with_panel(
            graph(
                "Applications by health",
                "The cluster's applications by the health its spoke reports.",
                q(f"sum by (health) (fleetcast_hub_cluster_applications{{{C}}})", "{{health}}"),
                stacked=True,
            )
        )
        .with_panel(
            graph(
                "Heartbeat age",
                "Seconds since the last heartbeat over time: a saw-tooth while healthy, a ramp when silent.",
                q(f"max(fleetcast_hub_cluster_heartbeat_age_seconds{{{C}}})", "heartbeat age"),
                unit="s",
            )
        )
        .with_row(row("Reconciles"))
        .with_panel(
            graph(
                "Reconciles by result",
                "Reconciles of one application per second, by result (success, requeue, error).",
                q(f"sum by (result) (rate(fleetcast_spoke_reconcile_total{{{C}}}[{RATE}]))", "{{result}}"),
                unit="ops",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Apply errors by class",
                "Objects the cluster refused per second, by error class (retriable, not-ready, terminal).",
                q(f"sum by (class) (rate(fleetcast_spoke_apply_errors_total{{{C}}}[{RATE}]))", "{{class}}"),
                unit="ops",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Reconcile duration",
                "Time to reconcile one application: median and 99th percentile.",
                *quantiles("fleetcast_spoke_reconcile_time_seconds", matchers=C),
                unit="s",
                width=8,
            )
        )
        .with_row(row("Drift"))
        .with_panel(
            graph(
                "Drifted objects",
                "Managed objects that differ from what Fleetcast applied, by the application's drift mode.",
                q(f"sum by (mode) (fleetcast_spoke_drifted_objects{{{C}}})", "{{mode}}"),
                width=8,
            )
        )
        .with_panel(
            graph(
                "Drift detected and corrected",
                "Drift found per second (modified, deleted) and objects re-applied to correct it.",
                q(f"sum by (kind) (rate(fleetcast_spoke_drift_detected_total{{{C}}}[{RATE}]))", "{{kind}}"),
                q(f"sum(rate(fleetcast_spoke_drift_corrections_total{{{C}}}[{RATE}]))", "corrected"),
                unit="ops",
                width=8,
            )
        )
        .with_panel(
            listing(
                "Drifted objects by application",
                "The hub's view: objects reported drifted and not corrected, per application and mode.",
                q(f"sum by (application, mode) (fleetcast_hub_drifted_objects{{{C}}}) > 0"),
                columns={"application": "Application", "mode": "Mode"},
                width=8,
            )
        )
        .with_row(row("Intake and watches"))
        .with_panel(
            graph(
                "Consumer lag",
                "Desired-topic records the spoke has not applied yet (end offset - position).",
                q(f"max(fleetcast_spoke_consumer_lag_records{{{C}}})", "records behind"),
                width=8,
            )
        )
        .with_panel(
            graph(
                "Desired-state records read",
                "Records read from the cluster's desired topic per second, by type.",
                q(f"sum by (type) (rate(fleetcast_spoke_events_total{{{C}}}[{RATE}]))", "{{type}}"),
                unit="ops",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Watch restarts",
                "Watches of managed objects re-opened per second, by reason (expired, gone, error).",
                q(f"sum by (reason) (rate(fleetcast_spoke_watch_restarts_total{{{C}}}[{RATE}]))", "{{reason}}"),
                unit="ops",
                width=8,
            )
        )
    )
    return finish(drill_down)
