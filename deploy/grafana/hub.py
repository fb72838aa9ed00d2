"""Hub internals: API latency by route, the outbox and its relay to Kafka, report ingestion, the
dead-letter topic and notification deliveries."""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as model

from deploy.grafana.panels import RATE, dashboard, finish, graph, q, quantiles, row, single

UID = "fleetcast-hub"
HTTP = "fleetcast_hub_http_request_duration_seconds"


def build() -> model.Dashboard:
    internals = (
        dashboard(
            UID,
            "Fleetcast / Hub internals",
            "API latency by route, outbox backlog and age, publish latency, report ingest lag, DLQ, notifications.",
        )
        .with_row(row("API"))
        .with_panel(
            graph(
                "API latency p50 by route",
                "Median API latency per route template and method.",
                quantiles(HTTP, by="method, route")[0],
                unit="s",
                width=8,
            )
        )
        .with_panel(
            graph(
                "API latency p99 by route",
                "99th-percentile API latency per route template and method.",
                quantiles(HTTP, by="method, route")[1],
                unit="s",
                width=8,
            )
        )
        .with_panel(
            graph(
                "API requests by status",
                "API requests per second by route template and status code.",
                q(f"sum by (route, status) (rate({HTTP}_count[{RATE}]))", "{{status}} {{route}}"),
                unit="reqps",
                width=8,
            )
        )
        .with_row(row("Outbox and relay"))
        .with_panel(
            single(
                "Outbox backlog",
                "Outbox records not yet published to Kafka.",
                q("max(fleetcast_hub_outbox_pending)"),
                warn=100,
                bad=1000,
            )
        )
        .with_panel(
            single(
                "Oldest unpublished record",
                "Age of the oldest outbox record not yet published (0 when the outbox is empty).",
                q("max(fleetcast_hub_outbox_oldest_age_seconds)"),
                unit="s",
                warn=10,
                bad=60,
            )
        )
        .with_panel(
            graph(
                "Published and refused",
                "Outbox records published per second (acknowledged by all replicas), and refused for good.",
                q(f"sum(rate(fleetcast_hub_published_total[{RATE}]))", "published"),
                q(f"sum(rate(fleetcast_hub_publish_failed_total[{RATE}]))", "refused"),
                unit="ops",
            )
        )
        .with_panel(
            graph(
                "Outbox backlog and age",
                "Records waiting in the outbox, and the age of the oldest one, over time.",
                q("max(fleetcast_hub_outbox_pending)", "records"),
                q("max(fleetcast_hub_outbox_oldest_age_seconds)", "oldest (s)"),
            )
        )
        .with_panel(
            graph(
                "Publish latency",
                "From the commit of a change to the broker's acknowledgement: median and 99th percentile.",
                *quantiles("fleetcast_hub_publish_latency_seconds"),
                unit="s",
            )
        )
        .with_row(row("Reports"))
        .with_panel(
            graph(
                "Reports ingested by type",
                "Reports from spokes stored per second (status, heartbeat, kube-events).",
                q(f"sum by (type) (rate(fleetcast_hub_reports_ingested_total[{RATE}]))", "{{type}}"),
                unit="ops",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Report ingest lag",
                "From the time a spoke made a report to the hub storing it, by type: median and 99th percentile.",
                *quantiles("fleetcast_hub_report_ingest_lag_seconds", by="type"),
                unit="s",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Reports skipped and rejected",
                "Readable reports not stored (stale, unknown cluster) and unreadable ones sent to the DLQ, by reason.",
                q(f"sum by (reason) (rate(fleetcast_hub_reports_skipped_total[{RATE}]))", "skipped: {{reason}}"),
                q(f"sum by (reason) (rate(fleetcast_hub_reports_rejected_total[{RATE}]))", "rejected: {{reason}}"),
                unit="ops",
                width=8,
            )
        )
        .with_row(row("Dead letters and notifications"))
        .with_panel(
            graph(
                "DLQ records",
                "Records on the dead-letter topic now, whoever wrote them (hub or spokes).",
                q("max(fleetcast_hub_dlq_records)", "records"),
            )
        )
        .with_panel(
            graph(
                "Notification deliveries",
                "Notification delivery attempts per second, by result (delivered, retried, failed).",
                q(f"sum by (result) (rate(fleetcast_hub_notification_deliveries_total[{RATE}]))", "{{result}}"),
                unit="ops",
            )
        )
    )
    return finish(internals)
