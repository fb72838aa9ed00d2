"""A cluster's state, derived from the age of its last heartbeat (never stored, so it cannot go stale)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class ClusterState(StrEnum):
    PENDING = "pending"  # registered, never heard from
    READY = "ready"
    UNREACHABLE = "unreachable"


def cluster_state(last_seen: datetime | None, now: datetime, unreachable_after: timedelta) -> ClusterState:
    if last_seen is None:
        return ClusterState.PENDING
    if now - last_seen > unreachable_after:
        return ClusterState.UNREACHABLE
    return ClusterState.READY
