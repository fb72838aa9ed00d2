"""Fleet overview: is every cluster there, is every application healthy, what runs where, which rollouts
are moving or waiting for someone, and whether any cluster differs from its definition."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.models import dashboard as model

from deploy.grafana.panels import RATE, dashboard, finish, graph, listing, q, row, single

UID = "fleetcast-overview"
CLUSTER_LINK = "/d/fleetcast-cluster/fleetcast-cluster?var-cluster=${__data.fields.cluster}&${datasource:queryparam}"


def build() -> model.Dashboard:
    overview = (
        dashboard(
            UID,
            "Fleetcast / Fleet overview",
            "Clusters by state, applications by health, versions by image, rollouts and waves, approvals, drift.",
        )
        .with_row(row("Clusters"))
        .with_panel(
            single(
                "Clusters ready",
                "Registered clusters whose heartbeats arrive in time.",
                q('sum(fleetcast_hub_clusters{state="ready"})'),
            )
        )
        .with_panel(
            single(
                "Clusters unreachable",
                "Registered clusters silent for longer than the hub's unreachable-after setting.",
                q('sum(fleetcast_hub_clusters{state="unreachable"})'),
                bad=1,
            )
        )
        .with_panel(
            single(
                "Clusters pending",
                "Registered clusters never heard from (no spoke has connected yet).",
                q('sum(fleetcast_hub_clusters{state="pending"})'),
                warn=1,
            )
        )
        .with_panel(
            single(
                "Oldest heartbeat",
                "Seconds since the most silent cluster's last heartbeat, on the hub's clock.",
                q("max(fleetcast_hub_cluster_heartbeat_age_seconds)"),
                unit="s",
                warn=30,
                bad=120,
            )
        )
        .with_panel(
            graph(
                "Clusters by state",
                "Registered clusters by state over time (pending, ready, unreachable).",
                q("sum by (state) (fleetcast_hub_clusters)", "{{state}}"),
                stacked=True,
            )
        )
        .with_panel(
            listing(
                "Clusters",
                "Each registered cluster: 1 while its heartbeats arrive in time, 0 when unreachable or never "
                "heard from. Open the cluster drill-down from a row.",
                q("max by (cluster) (fleetcast_hub_cluster_up)"),
                columns={"cluster": "Cluster"},
            ).data_links([_cluster_link()])
        )
        .with_row(row("Applications"))
        .with_panel(
            graph(
                "Applications by health",
                "Placed (cluster, application) pairs by the health their spokes report.",
                q("sum by (health) (fleetcast_hub_applications_health)", "{{health}}"),
                stacked=True,
            )
        )
        .with_panel(
            listing(
                "Clusters of each application by health",
                "How many clusters report each application Ready, Progressing, Degraded, Missing or Unknown.",
                q("sum by (application, health) (fleetcast_hub_application_clusters) > 0"),
                columns={"application": "Application", "health": "Health"},
            )
        )
        .with_row(row("Versions"))
        .with_panel(
            listing(
                "Versions by image",
                "Clusters running each image at each version (tag or digest): what runs where.",
                q("sum by (image, version) (fleetcast_hub_image_clusters) > 0"),
                columns={"image": "Image", "version": "Version"},
                width=24,
            )
        )
        .with_row(row("Rollouts"))
        .with_panel(
            single(
                "Approvals pending",
                "Waves waiting for someone to approve them (fleetcast rollout approve).",
                q("sum(fleetcast_hub_approvals_pending)"),
                warn=1,
            )
        )
        .with_panel(
            single(
                "Rollouts paused or failed",
                "Rollout runs that stopped and need someone: paused at a failing wave, or failed.",
                q('sum(fleetcast_hub_rollout_runs{state=~"paused|failed"})'),
                warn=1,
                width=6,
            )
        )
        .with_panel(
            graph(
                "Rollout runs by state",
                "Rollout runs by state (finished ones counted too).",
                q("sum by (state) (fleetcast_hub_rollout_runs)", "{{state}}"),
            )
        )
        .with_panel(
            listing(
                "Active rollouts and their wave",
                "Each active rollout run: its application, strategy, state and the wave it is at.",
                q("max by (application, strategy, state, wave) (fleetcast_hub_rollout_active_runs)"),
                columns={"application": "Application", "strategy": "Strategy", "state": "State", "wave": "Wave"},
                width=24,
            )
        )
        .with_row(row("Drift"))
        .with_panel(
            single(
                "Drifted objects",
                "Objects the spokes report as differing from what Fleetcast applied, not (yet) corrected.",
                q("sum(fleetcast_spoke_drifted_objects)"),
                warn=1,
            )
        )
        .with_panel(
            graph(
                "Drift corrections",
                "Objects re-applied to correct drift, per application (policy `correct`).",
                q(f"sum by (application) (rate(fleetcast_hub_drift_corrections_total[{RATE}]))", "{{application}}"),
                unit="ops",
                width=18,
            )
        )
        .with_panel(
            listing(
                "Drifted objects by cluster and application",
                "Objects reported drifted and not corrected, by cluster, application and drift policy mode.",
                q("sum by (cluster, application, mode) (fleetcast_hub_drifted_objects) > 0"),
                columns={"cluster": "Cluster", "application": "Application", "mode": "Mode"},
                width=24,
            )
        )
    )
    return finish(overview)


def _cluster_link() -> board.DashboardLink:
    return board.DashboardLink("Cluster drill-down").url(CLUSTER_LINK)
