"""Every metric of docs/metrics.md's Hub table is in the hub's exposition, with its type and labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, generate_latest

from hub.metrics import HubMetrics
from hub.observability.collector import SeriesPublisher, publish
from hub.observability.gauges import ActiveRun, ClusterRow, HealthCount, ImageRow, Rows, compute
from tests.metrics_contract import documented, problems

NOW = datetime(2026, 1, 1, tzinfo=UTC)

# Implemented on the HUBDRIFT branch (appended to HubMetrics there): checked once it is merged.


def test_the_docs_table_is_read() -> None:
    names = {metric.name for metric in documented("Hub")}
    assert len(names) >= 24 and "fleetcast_hub_http_request_duration_seconds" in names


def test_every_documented_hub_metric_is_exposed() -> None:
    registry = CollectorRegistry()
    metrics = HubMetrics(registry)
    # One value of each labelled metric, so that its labels are checked too.
    rows = Rows(
        clusters=[ClusterRow("a", NOW)],
        cluster_health=[HealthCount("a", "Ready", 1)],
        application_health=[HealthCount("web", "Ready", 1)],
        images=[ImageRow("docker.io/library/nginx", "1.25", 1)],
        active_runs=[ActiveRun("web", "staged", "running", 0, {"waves": [{"name": "canary"}]})],
    )
    publish(metrics, compute(rows, NOW, timedelta(seconds=30)), SeriesPublisher())
    metrics.http_request_duration.labels(method="GET", route="/healthz", status="200").observe(0.01)
    metrics.reports_skipped.labels(reason="stale").inc()
    metrics.reports_rejected.labels(reason="malformed-json").inc()

    wanted = [metric for metric in documented("Hub")]
    assert problems(generate_latest(registry).decode(), wanted) == []
