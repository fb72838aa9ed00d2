"""Which Kubernetes Events are forwarded, deduplicated, rate-limited and batched: pure, explicit clocks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from schemas.v1 import ObjectRef
from schemas.v1.kubeevents import MAX_EVENT_MESSAGE, MAX_EVENTS_PER_BATCH
from spoke.kubeevents.select import Batches, Seen, TokenBuckets, kube_event_of, select

WEB = ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace="shop")


def application_of(ref: ObjectRef) -> str | None:
    return "shop" if ref == WEB else None


def core_event(
    event_type: str = "Warning", count: int = 1, name: str = "web", message: str = "Back-off pulling image"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{name}.1", "namespace": "shop", "uid": f"uid-{name}"},
        "involvedObject": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "namespace": "shop"},
        "type": event_type,
        "reason": "FailedCreate",
        "message": message,
        "count": count,
        "firstTimestamp": "2026-01-01T10:00:00Z",
        "lastTimestamp": "2026-01-01T10:05:00Z",
        "source": {"component": "replicaset-controller"},
    }


def new_event() -> dict[str, Any]:
    return {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "web.2", "namespace": "shop", "uid": "uid-2"},
        "regarding": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "shop"},
        "type": "Warning",
        "reason": "Unhealthy",
        "note": "probe failed",
        "eventTime": "2026-01-01T10:00:00.000000Z",
        "series": {"count": 4, "lastObservedTime": "2026-01-01T10:06:00.000000Z"},
        "reportingController": "kubelet",
    }


def test_a_core_event_becomes_a_kube_event() -> None:
    found = kube_event_of(core_event(count=3))
    assert found is not None
    occurrence, event = found
    assert occurrence == ("uid-web", 3)
    assert event.object == WEB and event.type == "Warning" and event.reason == "FailedCreate"
    assert event.count == 3 and event.source == "replicaset-controller"
    assert event.first_time == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert event.last_time == datetime(2026, 1, 1, 10, 5, tzinfo=UTC)


def test_an_events_k8s_io_event_becomes_a_kube_event() -> None:
    found = kube_event_of(new_event())
    assert found is not None
    occurrence, event = found
    assert occurrence == ("uid-2", 4)
    assert event.message == "probe failed" and event.count == 4 and event.source == "kubelet"
    assert event.last_time == datetime(2026, 1, 1, 10, 6, tzinfo=UTC)


def test_only_managed_objects_warnings_and_normal_ones_when_asked() -> None:
    assert select(core_event(), application_of, forward_normal=False) is not None
    assert select(core_event(name="other"), application_of, forward_normal=False) is None
    assert select(core_event("Normal"), application_of, forward_normal=False) is None
    selected = select(core_event("Normal"), application_of, forward_normal=True)
    assert selected is not None and selected.application == "shop"
    assert select({"kind": "Event"}, application_of, forward_normal=True) is None


def test_long_messages_are_truncated() -> None:
    found = kube_event_of(core_event(message="x" * 5000))
    assert found is not None and len(found[1].message) == MAX_EVENT_MESSAGE


def test_each_occurrence_once() -> None:
    seen = Seen(most=2)
    assert seen.first_time(("a", 1))
    assert not seen.first_time(("a", 1))
    assert seen.first_time(("a", 2))  # it happened again
    assert seen.first_time(("b", 1))
    assert seen.first_time(("a", 1))  # forgotten: bounded


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    buckets = TokenBuckets(rate=2.0, burst=3)
    assert [buckets.take("shop", 100.0) for _ in range(4)] == [True, True, True, False]
    assert buckets.take("other", 100.0)  # per application
    assert not buckets.take("shop", 100.4)
    assert buckets.take("shop", 100.5)  # one token after half a second at 2/s
    assert [buckets.take("shop", 1000.0) for _ in range(4)] == [True, True, True, False]  # burst, not more


@given(st.lists(st.floats(0, 100, allow_nan=False), max_size=300), st.floats(0.1, 10), st.integers(1, 50))
def test_a_bucket_never_grants_more_than_burst_and_rate_allow(times: list[float], rate: float, burst: int) -> None:
    buckets = TokenBuckets(rate, burst)
    ordered = sorted(times)
    granted = sum(buckets.take("k", at) for at in ordered)
    span = ordered[-1] - ordered[0] if ordered else 0.0
    assert granted <= burst + rate * span + 1e-6


def test_batches_cap_count_drops_and_start_afresh() -> None:
    batches = Batches(rate=1000.0, burst=1000)
    selected = select(core_event(), application_of, forward_normal=False)
    assert selected is not None
    accepted = [batches.offer(selected, 0.0) for _ in range(MAX_EVENTS_PER_BATCH + 5)]
    assert accepted.count(True) == MAX_EVENTS_PER_BATCH
    drained = batches.drain()
    assert len(drained["shop"].events) == MAX_EVENTS_PER_BATCH and drained["shop"].dropped == 5
    assert batches.drain() == {}
    batches.lost("shop", 3)
    assert batches.drain()["shop"].dropped == 3
