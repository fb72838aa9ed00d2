"""Decisions about incoming reports, without I/O: is it for the cluster that sent it, is it newer than
what is stored, and what a heartbeat says about its cluster."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schemas.v1 import HeartbeatEvent, StatusEvent, WireError


def as_utc(value: datetime) -> datetime:
    # Reports carry `datetime`, which may come naive from a careless sender; the contract's clocks are UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def check_report(event: StatusEvent | HeartbeatEvent) -> None:
    """A report about another cluster than the envelope's is refused: one cluster must not speak for another."""
    if event.data.cluster != event.cluster:
        raise WireError(
            "cluster-mismatch", f"envelope is from cluster {event.cluster}, the report is about {event.data.cluster}"
        )


def status_is_stale(stored_generation: int, stored_time: datetime, generation: int, time: datetime) -> bool:
    """Older than what is stored, by observed generation and then by time: a redelivered or reordered
    report never overwrites a newer one. An equal one is a duplicate, harmless to store again."""
    return (generation, as_utc(time)) < (stored_generation, as_utc(stored_time))


def seen_at(heartbeat_time: datetime, received: datetime) -> datetime:
    """When the cluster was last seen: the heartbeat's own time, but never later than its arrival, so a
    spoke with a clock ahead cannot keep itself "ready" after it stopped."""
    return min(as_utc(heartbeat_time), received)


def heartbeat_facts(event: HeartbeatEvent) -> dict[str, Any]:
    data = event.data
    return {
        "kubernetes_version": data.kubernetes_version,
        "agent_version": data.agent_version,
        "nodes": data.nodes,
        "ready_nodes": data.ready_nodes,
        "applications": data.applications,
        "interval_seconds": data.interval_seconds,
    }
