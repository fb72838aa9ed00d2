"""The hub's gauges computed from what the store holds, without I/O: `compute(rows, now, ...)` turns the
results of the collector's queries into one value per series; `stale_series` says which series of the
previous refresh are gone (a deleted cluster, an application no longer placed, a finished run), so they
are removed rather than left showing their last value.

A series is a tuple of label values in the gauge's label order; an unlabelled gauge is a plain float.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hub.clusterstates import ClusterState, cluster_state
from hub.ingest import as_utc
from hub.rollouts.model import RunState
from schemas.v1 import Health

Series = dict[tuple[str, ...], float]

# The wave label of a run whose wave index its strategy does not have (nothing to name).
NO_WAVE = "none"
# The version label of an index row with neither tag nor digest.
UNTAGGED = "untagged"


@dataclass(frozen=True)
class ClusterRow:
    cluster: str
    last_seen: datetime | None


@dataclass(frozen=True)
class HealthCount:
    """Placed pairs counted in SQL by one side (a cluster or an application) and reported health: active
    placements on registered clusters, not reported removed; health None before the first report."""

    key: str
    health: str | None
    count: int


@dataclass(frozen=True)
class ImageRow:
    """Distinct clusters whose reports name `repository` at `tag` / `digest` (grouped in SQL)."""

    repository: str
    version: str | None
    clusters: int


@dataclass(frozen=True)
class ActiveRun:
    application: str
    strategy: str
    state: str
    wave: int
    # The run's frozen strategy version as stored (StrategyVersion.spec), for the wave's name.
    spec: Mapping[str, Any] | None


@dataclass(frozen=True)
class Rows:
    """What the collector read in one transaction."""

    clusters: Sequence[ClusterRow] = ()
    cluster_health: Sequence[HealthCount] = ()
    application_health: Sequence[HealthCount] = ()
    images: Sequence[ImageRow] = ()
    run_states: Mapping[str, int] = field(default_factory=dict)
    active_runs: Sequence[ActiveRun] = ()
    outbox_pending: int = 0
    outbox_oldest: datetime | None = None


@dataclass(frozen=True)
class GaugeValues:
    clusters: Series
    cluster_up: Series
    cluster_heartbeat_age: Series
    applications_health: Series
    cluster_applications: Series
    application_clusters: Series
    image_clusters: Series
    rollout_runs: Series
    rollout_active_runs: Series
    approvals_pending: float
    outbox_pending: float
    outbox_oldest_age: float


def _age(then: datetime, now: datetime) -> float:
    # Clocks differ between writers (and a ManualClock may lag): never a negative age.
    return max(0.0, (as_utc(now) - as_utc(then)).total_seconds())


def wave_name(spec: Mapping[str, Any] | None, index: int) -> str:
    """The name of wave `index` of a stored strategy spec (names are unique DNS labels), else NO_WAVE."""
    waves = spec.get("waves") if spec is not None else None
    if not isinstance(waves, list) or not 0 <= index < len(waves):
        return NO_WAVE
    wave = waves[index]
    name = wave.get("name") if isinstance(wave, Mapping) else None
    return name if isinstance(name, str) and name else NO_WAVE


def _by_health(counts: Iterable[HealthCount]) -> Series:
    # Not reported yet: Unknown, as the fleet views show it.
    series: Series = {}
    for count in counts:
        key = (count.key, count.health or Health.UNKNOWN.value)
        series[key] = series.get(key, 0.0) + count.count
    return {key: value for key, value in series.items() if value}


def compute(rows: Rows, now: datetime, unreachable_after: timedelta) -> GaugeValues:
    states: Counter[str] = Counter()
    up: Series = {}
    age: Series = {}
    for cluster in rows.clusters:
        state = cluster_state(cluster.last_seen, now, unreachable_after)
        states[state.value] += 1
        up[(cluster.cluster,)] = 1.0 if state is ClusterState.READY else 0.0
        if cluster.last_seen is not None:
            age[(cluster.cluster,)] = _age(cluster.last_seen, now)

    per_cluster = _by_health(rows.cluster_health)
    overall: Counter[str] = Counter()
    for (_cluster, health), count in per_cluster.items():
        overall[health] += int(count)

    images: Series = {}
    for image in rows.images:
        key = (image.repository, image.version or UNTAGGED)
        images[key] = images.get(key, 0.0) + image.clusters

    active: Series = {}
    for run in rows.active_runs:
        labels = (run.application, run.strategy, run.state, wave_name(run.spec, run.wave))
        active[labels] = active.get(labels, 0.0) + 1.0
    # A run waits on one approval gate at a time: each run in this state is one wave waiting.
    approvals = sum(1 for run in rows.active_runs if run.state == RunState.WAITING_FOR_APPROVAL.value)

    return GaugeValues(
        # Every value that exists from the start is a series at 0, so dashboards show 0, not "no data".
        clusters={(s.value,): float(states.get(s.value, 0)) for s in ClusterState},
        cluster_up=up,
        cluster_heartbeat_age=age,
        applications_health={(h,): float(overall.get(h, 0)) for h in {h.value for h in Health} | set(overall)},
        cluster_applications=per_cluster,
        application_clusters=_by_health(rows.application_health),
        image_clusters=images,
        rollout_runs={
            (s,): float(rows.run_states.get(s, 0)) for s in {s.value for s in RunState} | set(rows.run_states)
        },
        rollout_active_runs=active,
        approvals_pending=float(approvals),
        outbox_pending=float(rows.outbox_pending),
        outbox_oldest_age=_age(rows.outbox_oldest, now) if rows.outbox_oldest is not None else 0.0,
    )


def stale_series(previous: Iterable[tuple[str, ...]], current: Mapping[tuple[str, ...], float]) -> set[tuple[str, ...]]:
    """Series set by the previous refresh that this one has no value for: to be removed."""
    return {key for key in previous if key not in current}


def ingest_lag_seconds(reported: datetime, stored: datetime) -> float:
    """From a report's own time to its storing, on the hub's clock; a spoke clock ahead of the hub's
    would make it negative: clamped to 0 (the skew is not lag)."""
    return _age(reported, stored)
