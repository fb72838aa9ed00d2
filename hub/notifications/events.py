"""What can be notified: the event types (each one an audit action), the event as the notifier sees it,
and the one-line summary a person reads. Pure.

The audit log is the source: every rollout transition, release and cluster change is recorded there in
the transaction that made it, so a notification is never about something that did not happen. An
event's type is its audit action, unchanged, so `fleetcast audit --action rollout.paused` and a
subscription to `rollout.paused` speak of the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

# Event type -> when it happens. Only these become notifications: the chatty steps in between
# (dispatched, cluster-passed, gate-passed, ...) stay in the audit log.
EVENT_TYPES: dict[str, str] = {
    "release.created": "a new release of an application was made",
    "rollout.started": "a rollout run started its first wave",
    "rollout.approval-requested": "a rollout waits for an approval (with the plan and the diff)",
    "rollout.approved": "someone approved a rollout gate",
    "rollout.wave-passed": "every cluster of a wave passed, and its after-gates",
    "rollout.wave-failed": "more clusters of a wave failed than it tolerates",
    "rollout.cluster-failed": "a cluster failed its health gate (apply error, degraded, deadline)",
    "rollout.paused": "a rollout was paused, by an operator or by a failed wave",
    "rollout.resumed": "a paused rollout was resumed",
    "rollout.rolling-back": "a rollout started restoring the baseline",
    "rollout.succeeded": "a rollout reached every cluster of its plan",
    "rollout.failed": "a rollout failed (a failed wave under onFailure: abort, or an incomplete rollback)",
    "rollout.aborted": "a rollout was aborted",
    "rollout.rolled-back": "a rollback put every changed cluster back on its baseline",
    "rollout.superseded": "a newer release replaced a rollout in progress",
    "campaign.finished": "a fix campaign finished",
    "cluster.unreachable": "a cluster's heartbeats stopped for longer than the unreachable threshold",
    "cluster.reachable": "an unreachable cluster's heartbeats came back",
    "drift.detected": "a live object started to differ from its release (with the fields and who changed them)",
    "drift.corrected": "a spoke re-applied drifted objects (drift policy correct)",
}
# Sent by `fleetcast notify test` only; never matched by a subscription's patterns.
TEST_EVENT = "notification.test"

# Events whose payload carries the release's diff against the previous release.
WITH_DIFF = frozenset({"rollout.approval-requested", "release.created"})


def is_notifiable(action: str) -> bool:
    return action in EVENT_TYPES


def pattern_problem(pattern: str) -> str | None:
    """Why an event pattern (`rollout.paused`, `rollout.*`, `*`) cannot be used, or None."""
    if not pattern or len(pattern) > 64:
        return f"event pattern {pattern!r} must be 1 to 64 characters"
    if not any(fnmatchcase(event, pattern) for event in EVENT_TYPES):
        return f"event pattern {pattern!r} matches no event type (fleetcast notify events lists them)"
    return None


def pattern_matches(patterns: tuple[str, ...], event_type: str) -> bool:
    return any(fnmatchcase(event_type, pattern) for pattern in patterns)


@dataclass(frozen=True)
class Event:
    """An audit event the notifier turns into notifications (or a test event, which has no id)."""

    id: int | None
    type: str
    time: datetime
    actor: str
    application: str | None = None
    cluster: str | None = None
    strategy: str | None = None
    run_id: int | None = None
    revision: int | None = None
    digest: str | None = None
    reason: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def wave(self) -> str | None:
        wave = self.details.get("wave")
        return wave if isinstance(wave, str) else None


def _release(event: Event) -> str:
    revision = f" revision {event.revision}" if event.revision is not None else ""
    return f"{event.application}{revision}"


def _because(event: Event) -> str:
    return f": {event.reason}" if event.reason else ""


def summary(event: Event) -> str:
    """One line a person reads in a chat or a mail subject."""
    kind, details = event.type, event.details
    release = _release(event)
    match kind:
        case "release.created":
            return f"{release}: new release"
        case "rollout.started":
            waves = details.get("waves") or []
            clusters = details.get("clusters")
            counted = f", {clusters} cluster(s)" if isinstance(clusters, int) else ""
            return (
                f"{release}: rollout started (strategy {event.strategy}, waves {', '.join(map(str, waves))}{counted})"
            )
        case "rollout.approval-requested":
            where = f"{details.get('phase', 'before')} wave {event.wave}"
            return f"{release}: approval by role {details.get('role')} needed {where}"
        case "rollout.approved":
            return f"{release}: wave {event.wave} approved by {event.actor} (role {details.get('role')})"
        case "rollout.wave-passed":
            return f"{release}: wave {event.wave} passed"
        case "rollout.wave-failed":
            return f"{release}: wave {event.wave} failed{_because(event)}"
        case "rollout.cluster-failed":
            return f"{release}: cluster {event.cluster} failed{_because(event)}"
        case "rollout.paused" | "rollout.resumed" | "rollout.aborted":
            verb = kind.removeprefix("rollout.")
            by = "" if event.actor.startswith("system:") else f" by {event.actor}"
            return f"{release}: rollout {verb}{by}{_because(event)}"
        case "rollout.rolling-back":
            return f"{release}: rolling back to the baseline{_because(event)}"
        case "rollout.succeeded" | "rollout.failed" | "rollout.rolled-back" | "rollout.superseded":
            return f"{release}: rollout {kind.removeprefix('rollout.')}{_because(event)}"
        case "campaign.finished":
            image, to = details.get("image", "?"), details.get("to", "?")
            applications = ", ".join(map(str, details.get("applications") or [])) or "no application"
            left = details.get("vulnerable_clusters")
            still = f"; {left} cluster(s) still vulnerable" if isinstance(left, int) else ""
            return f"campaign {details.get('campaign', '?')} finished: {image} -> {to} on {applications}{still}"
        case "cluster.unreachable":
            silent = details.get("silent_for")
            return f"cluster {event.cluster} unreachable" + (f": no heartbeat for {silent}" if silent else "")
        case "cluster.reachable":
            down = details.get("unreachable_for")
            return f"cluster {event.cluster} reachable again" + (f" after {down}" if down else "")
        case "drift.detected" | "drift.corrected":
            verb = "drifted" if kind == "drift.detected" else "drift corrected"
            return f"{event.application} on {event.cluster}: {verb}{_because(event)}"
        case "notification.test":
            return f"test notification for subscription {details.get('subscription')}, sent by {event.actor}"
    return f"{kind}: {event.application or event.cluster or ''}{_because(event)}".rstrip(": ")
