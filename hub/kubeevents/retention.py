"""Which events to keep, and how a re-sent event is recognised. Pure.

A spoke forwards an event again when its series grows (count, last time): the hub keeps one row per
series and updates it. Per (cluster, application) the newest `keep` rows stay, and none older than the
events topic's retention (what a hub replaying the topic from the start could know anyway)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.v1.kubeevents import KubeEvent

DEFAULT_KEEP = 200
DEFAULT_MAX_AGE = timedelta(days=7)


def series_key(event: KubeEvent) -> str:
    """What identifies an event series on a cluster: its object, type, reason, source, message and when
    it first happened (Kubernetes aggregates repeats into one Event with a count). The message is part
    of it: `Back-off pulling image "x"` and `"y"` are different things to a reader."""
    ref = event.object
    first = event.first_time.isoformat() if event.first_time is not None else None
    identity = [
        ref.api_version,
        ref.kind,
        ref.namespace,
        ref.name,
        event.type,
        event.reason,
        event.source,
        event.message,
        first,
    ]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


@dataclass(frozen=True)
class Kept:
    id: int
    last_time: datetime


def to_drop(rows: Sequence[Kept], *, keep: int, now: datetime, max_age: timedelta) -> list[int]:
    """The ids of `rows` (one (cluster, application)'s) that go: older than `max_age`, or beyond the
    newest `keep` (newest by last time, then by id: the later stored wins a tie)."""
    oldest = now - max_age
    fresh = sorted((r for r in rows if r.last_time >= oldest), key=lambda r: (r.last_time, r.id), reverse=True)
    kept = {r.id for r in fresh[:keep]}
    return sorted(r.id for r in rows if r.id not in kept)
