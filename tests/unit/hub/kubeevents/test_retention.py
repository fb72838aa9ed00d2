"""Which events are kept per (cluster, application), and how a re-sent event is recognised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hub.kubeevents.retention import Kept, series_key, to_drop
from schemas.v1.kubeevents import KubeEvent
from schemas.v1.reports import ObjectRef

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def event(**changes: object) -> KubeEvent:
    fields: dict[str, object] = {
        "object": ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace="default"),
        "type": "Warning",
        "reason": "FailedCreate",
        "message": "quota exceeded",
        "count": 1,
        "first_time": NOW,
        "last_time": NOW,
        "source": "replicaset-controller",
    }
    return KubeEvent.model_validate(fields | changes)


def test_a_series_is_the_same_whatever_its_count_and_last_time() -> None:
    assert series_key(event()) == series_key(event(count=7, last_time=NOW + timedelta(minutes=3)))
    assert series_key(event()) != series_key(event(message="other"))
    assert series_key(event()) != series_key(event(first_time=NOW + timedelta(seconds=1)))
    assert series_key(event()) != series_key(event(object=ObjectRef(api_version="v1", kind="Pod", name="web")))


def test_the_newest_are_kept_and_the_old_dropped() -> None:
    rows = [Kept(i, NOW - timedelta(minutes=i)) for i in range(1, 6)] + [Kept(9, NOW - WEEK - timedelta(seconds=1))]
    assert to_drop(rows, keep=3, now=NOW, max_age=WEEK) == [4, 5, 9]
    assert to_drop(rows, keep=100, now=NOW, max_age=WEEK) == [9]


@given(
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 20 * 24 * 3600)), unique_by=lambda t: t[0], max_size=60),
    st.integers(1, 30),
)
def test_retention_keeps_at_most_n_fresh_events_and_they_are_the_newest(
    specs: list[tuple[int, int]], keep: int
) -> None:
    rows = [Kept(i, NOW - timedelta(seconds=age)) for i, age in specs]
    dropped = set(to_drop(rows, keep=keep, now=NOW, max_age=WEEK))
    kept = [r for r in rows if r.id not in dropped]
    assert len(kept) <= keep
    assert all(r.last_time >= NOW - WEEK for r in kept)
    fresh = [r for r in rows if r.last_time >= NOW - WEEK]
    assert len(kept) == min(keep, len(fresh))
    if kept:
        oldest_kept = min((r.last_time, r.id) for r in kept)
        assert all((r.last_time, r.id) < oldest_kept for r in fresh if r.id in dropped)
