"""The gauges the collector publishes, computed from query rows, and series that go away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiokafka import TopicPartition
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from hub.metrics import HubMetrics
from hub.observability.collector import SeriesPublisher, publish
from hub.observability.deadletters import records_held
from hub.observability.gauges import (
    NO_WAVE,
    UNTAGGED,
    ActiveRun,
    ClusterRow,
    HealthCount,
    ImageRow,
    Rows,
    compute,
    ingest_lag_seconds,
    stale_series,
    wave_name,
)
from schemas.v1 import Health

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
AFTER = timedelta(seconds=30)
SPEC = {"waves": [{"name": "canary"}, {"name": "prod"}]}


def rows(**overrides: object) -> Rows:
    base: dict[str, object] = {
        "clusters": [
            ClusterRow("a", NOW - timedelta(seconds=5)),
            ClusterRow("b", NOW - timedelta(seconds=90)),
            ClusterRow("c", None),
            # A spoke clock ahead of the hub's: no negative age.
            ClusterRow("d", NOW + timedelta(seconds=3)),
        ],
        # As counted in SQL (hub/observability/queries.py): by cluster and by application.
        "cluster_health": [
            HealthCount("a", "Ready", 1),
            HealthCount("a", "Degraded", 1),
            HealthCount("b", "Ready", 1),
            HealthCount("c", None, 1),  # placed, nothing reported yet
            HealthCount("d", "Ready", 0),  # no placed application: no series
        ],
        "application_health": [
            HealthCount("web", "Ready", 2),
            HealthCount("web", None, 1),
            HealthCount("shop", "Degraded", 1),
        ],
        "images": [
            ImageRow("docker.io/library/nginx", "1.25", 2),
            ImageRow("docker.io/library/nginx", "sha256:" + "a" * 64, 1),
            ImageRow("ghcr.io/x/y", None, 1),
        ],
        "run_states": {"succeeded": 4, "running": 1, "waiting-for-approval": 1},
        "active_runs": [
            ActiveRun("web", "staged", "running", 1, SPEC),
            ActiveRun("shop", "staged", "waiting-for-approval", 0, SPEC),
        ],
        "outbox_pending": 3,
        "outbox_oldest": NOW - timedelta(seconds=12),
    }
    return Rows(**(base | overrides))  # type: ignore[arg-type]


def test_clusters_by_state_up_and_heartbeat_age() -> None:
    values = compute(rows(), NOW, AFTER)
    assert values.clusters == {("pending",): 1.0, ("ready",): 2.0, ("unreachable",): 1.0}
    assert values.cluster_up == {("a",): 1.0, ("b",): 0.0, ("c",): 0.0, ("d",): 1.0}
    # Never heard from: no age at all rather than a made-up one.
    assert values.cluster_heartbeat_age == {("a",): 5.0, ("b",): 90.0, ("d",): 0.0}


def test_applications_by_health_overall_per_cluster_and_per_application() -> None:
    values = compute(rows(), NOW, AFTER)
    assert values.applications_health == {
        ("Ready",): 2.0,
        ("Degraded",): 1.0,
        ("Unknown",): 1.0,
        ("Progressing",): 0.0,
        ("Missing",): 0.0,
    }
    assert values.cluster_applications == {
        ("a", "Ready"): 1.0,
        ("a", "Degraded"): 1.0,
        ("b", "Ready"): 1.0,
        ("c", "Unknown"): 1.0,
    }
    assert values.application_clusters == {
        ("web", "Ready"): 2.0,
        ("web", "Unknown"): 1.0,
        ("shop", "Degraded"): 1.0,
    }


def test_images_runs_approvals_and_outbox() -> None:
    values = compute(rows(), NOW, AFTER)
    assert values.image_clusters == {
        ("docker.io/library/nginx", "1.25"): 2.0,
        ("docker.io/library/nginx", "sha256:" + "a" * 64): 1.0,
        ("ghcr.io/x/y", UNTAGGED): 1.0,
    }
    assert values.rollout_runs[("succeeded",)] == 4.0
    assert values.rollout_runs[("rolled-back",)] == 0.0  # every state, from the start
    assert values.rollout_active_runs == {
        ("web", "staged", "running", "prod"): 1.0,
        ("shop", "staged", "waiting-for-approval", "canary"): 1.0,
    }
    assert values.approvals_pending == 1.0
    assert (values.outbox_pending, values.outbox_oldest_age) == (3.0, 12.0)


def test_an_empty_store_shows_zeros_not_nothing() -> None:
    values = compute(Rows(), NOW, AFTER)
    assert set(values.clusters.values()) == {0.0} and len(values.clusters) == 3
    assert len(values.applications_health) == 5 and len(values.rollout_runs) == 10
    assert (values.outbox_pending, values.outbox_oldest_age, values.approvals_pending) == (0.0, 0.0, 0.0)
    assert not (values.cluster_up or values.cluster_applications or values.image_clusters)


def test_wave_names() -> None:
    assert wave_name(SPEC, 1) == "prod"
    assert wave_name(SPEC, 2) == wave_name(SPEC, -1) == wave_name(None, 0) == wave_name({"waves": "x"}, 0) == NO_WAVE


def test_ingest_lag_is_on_the_hubs_clock_and_never_negative() -> None:
    assert ingest_lag_seconds(NOW - timedelta(seconds=2), NOW) == 2.0
    assert ingest_lag_seconds(NOW + timedelta(seconds=2), NOW) == 0.0
    # A naive report time is UTC, as the contract says.
    assert ingest_lag_seconds(datetime(2026, 1, 1, 11, 59, 59), NOW) == 1.0


keys = st.sets(st.tuples(st.sampled_from("abcdef")), max_size=6)


@given(previous=keys, current=keys)
def test_stale_series_are_exactly_those_gone(previous: set[tuple[str]], current: set[tuple[str]]) -> None:
    stale = stale_series(previous, dict.fromkeys(current, 1.0))
    assert stale == previous - current
    assert not stale & current


def exposed(registry: CollectorRegistry, name: str, *labels: str) -> dict[tuple[str, ...], float]:
    """The samples of `name` in the exposition, keyed by the values of `labels` in that order."""
    families = text_string_to_metric_families(generate_latest(registry).decode())
    return {tuple(s.labels[k] for k in labels): s.value for f in families if f.name == name for s in f.samples}


ACTIVE_RUN_LABELS = ("application", "strategy", "state", "wave")


def test_series_of_deleted_clusters_and_finished_runs_are_removed() -> None:
    registry = CollectorRegistry()
    metrics = HubMetrics(registry)
    publisher = SeriesPublisher()
    publish(metrics, compute(rows(), NOW, AFTER), publisher)
    assert set(exposed(registry, "fleetcast_hub_cluster_up", "cluster")) == {("a",), ("b",), ("c",), ("d",)}
    assert len(exposed(registry, "fleetcast_hub_rollout_active_runs", *ACTIVE_RUN_LABELS)) == 2

    # Cluster b deregistered, the web run finished, the shop run moved on to its next wave.
    later = rows(
        clusters=[ClusterRow("a", NOW), ClusterRow("c", None), ClusterRow("d", NOW)],
        cluster_health=[HealthCount("a", "Ready", 1), HealthCount("c", None, 1)],
        active_runs=[ActiveRun("shop", "staged", "running", 1, SPEC)],
        run_states={"succeeded": 5, "running": 1},
    )
    publish(metrics, compute(later, NOW, AFTER), publisher)
    assert exposed(registry, "fleetcast_hub_cluster_up", "cluster") == {("a",): 1.0, ("c",): 0.0, ("d",): 1.0}
    # A changed value is published, an unchanged one stays.
    assert exposed(registry, "fleetcast_hub_cluster_heartbeat_age_seconds", "cluster") == {("a",): 0.0, ("d",): 0.0}
    assert exposed(registry, "fleetcast_hub_rollout_active_runs", *ACTIVE_RUN_LABELS) == {
        ("shop", "staged", "running", "prod"): 1.0
    }
    assert exposed(registry, "fleetcast_hub_cluster_applications", "cluster", "health") == {
        ("a", "Ready"): 1.0,
        ("c", "Unknown"): 1.0,
    }
    assert exposed(registry, "fleetcast_hub_approvals_pending") == {(): 0.0}
    # Fixed label values stay, at 0.
    assert exposed(registry, "fleetcast_hub_rollout_runs", "state")[("waiting-for-approval",)] == 0.0


cluster_rows = st.lists(
    st.builds(
        ClusterRow,
        st.sampled_from("abcdefgh"),
        st.none() | st.integers(-60, 600).map(lambda seconds: NOW - timedelta(seconds=seconds)),
    ),
    unique_by=lambda row: row.cluster,
)
health_counts = st.lists(
    st.builds(
        HealthCount,
        st.sampled_from("abcdefgh"),
        st.none() | st.sampled_from([h.value for h in Health]),
        st.integers(0, 20),
    ),
    unique_by=lambda row: (row.key, row.health),
)


@given(clusters=cluster_rows, counts=health_counts)
def test_totals_agree(clusters: list[ClusterRow], counts: list[HealthCount]) -> None:
    values = compute(Rows(clusters=clusters, cluster_health=counts), NOW, AFTER)
    assert sum(values.clusters.values()) == len(clusters)
    assert sum(values.cluster_up.values()) == values.clusters[("ready",)]
    assert all(age >= 0 for age in values.cluster_heartbeat_age.values())
    placed = sum(count.count for count in counts)
    assert sum(values.applications_health.values()) == sum(values.cluster_applications.values()) == placed
    assert all(value > 0 for value in values.cluster_applications.values())


def test_dlq_records_are_end_minus_beginning_per_partition() -> None:
    zero, one = TopicPartition("dlq", 0), TopicPartition("dlq", 1)
    # Retention moved partition 0's beginning; partition 1 is empty.
    assert records_held({zero: 40, one: 7}, {zero: 52, one: 7}) == 12
    assert records_held({}, {}) == 0
