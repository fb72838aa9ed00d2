"""When a cluster went unreachable, or came back, as the hub's clock sees it. Pure.

A cluster's state is derived from the age of its last heartbeat (hub/clusterstates.py) and is never
stored, so nothing records the moment it changes. The monitor compares the state now with the one it
last recorded per cluster and records `cluster.unreachable` (ready -> unreachable) and
`cluster.reachable` (unreachable -> ready) in the audit log, from where they are notified like the rest.

Not changes worth telling: a cluster's first heartbeat (pending -> ready), a cluster the monitor meets
for the first time (it only learns its state), a deregistered one (forgotten). Right after the hub
starts, heartbeats that came while it was down are still being read: for one unreachable threshold
nothing is declared unreachable (the stored state waits), so a hub restart does not page anyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.clusterstates import ClusterState, cluster_state
from hub.durations import format_duration

UNREACHABLE = "cluster.unreachable"
REACHABLE = "cluster.reachable"


@dataclass(frozen=True)
class Seen:
    """What the hub knows of a cluster now."""

    last_seen: datetime | None


@dataclass(frozen=True)
class Known:
    """What the monitor recorded last: the state, and since when."""

    state: ClusterState
    since: datetime


@dataclass(frozen=True)
class Change:
    cluster: str
    state: ClusterState
    since: datetime
    action: str | None  # the audit action to record; None: store the state quietly
    details: Mapping[str, str | float | None]


def changes(
    clusters: Mapping[str, Seen],
    known: Mapping[str, Known],
    now: datetime,
    unreachable_after: timedelta,
    quiet_until: datetime,
) -> tuple[list[Change], list[str]]:
    """The states to store (with the audit action of each, if any), and the clusters to forget."""
    result: list[Change] = []
    for cluster in sorted(clusters):
        seen = clusters[cluster]
        state = cluster_state(seen.last_seen, now, unreachable_after)
        before = known.get(cluster)
        if before is not None and before.state == state:
            continue
        if before is None or before.state is ClusterState.PENDING or state is ClusterState.PENDING:
            result.append(Change(cluster, state, now, None, {}))
            continue
        if state is ClusterState.UNREACHABLE:
            if now < quiet_until:
                continue  # the hub may still be catching up on heartbeats: decide later
            silent = now - seen.last_seen if seen.last_seen is not None else None
            details: dict[str, str | float | None] = {
                "last_seen": seen.last_seen.isoformat() if seen.last_seen else None,
                "silent_for": format_duration(silent, whole_seconds=True) if silent is not None else None,
                "unreachable_after": format_duration(unreachable_after, whole_seconds=True),
            }
            result.append(Change(cluster, state, now, UNREACHABLE, details))
        else:
            down = now - before.since
            details = {
                "unreachable_since": before.since.isoformat(),
                "unreachable_for": format_duration(down, whole_seconds=True),
                "last_seen": seen.last_seen.isoformat() if seen.last_seen else None,
            }
            result.append(Change(cluster, state, now, REACHABLE, details))
    forgotten = sorted(set(known) - set(clusters))
    return result, forgotten
