"""Decisions about incoming reports, without I/O: is it for the cluster that sent it, is it newer than
what is stored, and what a heartbeat says about its cluster."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.v1 import Health, HeartbeatEvent, StatusEvent, WireError


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


@dataclass(frozen=True)
class HealthFacts:
    """What a health gate reads from a status report; `health_since` moves only when one of these does."""

    observed_generation: int
    observed_revision: int
    last_applied_revision: int | None
    health: str
    errors: tuple[str, ...]
    removed: bool


def health_facts(
    observed_generation: int,
    observed_revision: int,
    last_applied_revision: int | None,
    health: str,
    errors: Sequence[str],
    objects: Sequence[Mapping[str, Any]],
    removed: bool,
) -> HealthFacts:
    """Report-level errors and every object's error (with the object named), as one list."""
    object_errors = [f"{_ref_text(o.get('ref') or {})}: {o['error']}" for o in objects if o.get("error")]
    return HealthFacts(
        observed_generation, observed_revision, last_applied_revision, health, (*errors, *object_errors), removed
    )


def _ref_text(ref: Mapping[str, Any]) -> str:
    namespace = f"{ref['namespace']}/" if ref.get("namespace") else ""
    return f"{ref.get('kind', '?')}/{namespace}{ref.get('name', '?')}"


def health_since(
    previous: HealthFacts | None, previous_since: datetime | None, current: HealthFacts, received: datetime
) -> datetime:
    """Since when the report has said what it says now: unchanged facts keep the old time, so a
    re-delivered report (after a hub restart) or a change elsewhere in it (images) does not restart a soak."""
    if previous == current and previous_since is not None:
        return previous_since
    return received


def last_healthy_revision(facts: HealthFacts, previous: int | None) -> int | None:
    """The revision to roll back to: the newest one reported applied, Ready and without errors."""
    healthy = (
        facts.health == Health.READY.value
        and not facts.errors
        and not facts.removed
        and facts.last_applied_revision == facts.observed_revision
    )
    return facts.observed_revision if healthy else previous


def reachable_since(
    previous_seen: datetime | None, previous_since: datetime | None, seen: datetime, unreachable_after: timedelta
) -> datetime:
    """Since when heartbeats have come without a gap the hub would call unreachable: a gap restarts it,
    even when nobody looked while the cluster was silent."""
    if previous_seen is None or previous_since is None or seen - previous_seen > unreachable_after:
        return seen
    return previous_since


def became_reachable(
    previous_seen: datetime | None, seen: datetime, now: datetime, unreachable_after: timedelta
) -> bool:
    """Whether this heartbeat turns the cluster from unreachable (or never seen) to reachable as of `now`.
    Judged on the hub's clock: a hub that was down itself catches up on heartbeats sent meanwhile and
    only the one that makes the cluster fresh again counts."""
    was = previous_seen is not None and now - previous_seen <= unreachable_after
    return not was and now - seen <= unreachable_after
