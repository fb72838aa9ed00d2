"""The rollout run model, as plain values the pure engine works on (the store maps rows to these).

A run takes one release of one application through the waves of a strategy. Its plan (which cluster
in which wave, what it gets, its baseline) is frozen when the run starts. Run states:

    planned ─> running <─> waiting-for-approval          (gates)
       │         │  ^
       │         v  │
       │       paused                                    (asked for, or a failed wave under onFailure: pause)
       │         │
       v         v
    succeeded | failed | aborted | superseded            (finished)
                 │
    rolling-back ─> rolled-back                          (onFailure: rollback, or asked for)

Per cluster: pending -> dispatched -> passed | failed, or skipped (deregistered, left the selector,
matched by no wave); a rollback then takes a dispatched cluster through restoring -> restored | failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from hub.ingest import HealthFacts

Action = Literal["bundle", "removal"]


class RunState(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    WAITING_FOR_APPROVAL = "waiting-for-approval"
    PAUSED = "paused"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ABORTED = "aborted"
    SUPERSEDED = "superseded"
    ROLLING_BACK = "rolling-back"
    ROLLED_BACK = "rolled-back"

    @property
    def active(self) -> bool:
        return self in _ACTIVE


_ACTIVE = {
    RunState.PLANNED,
    RunState.RUNNING,
    RunState.WAITING_FOR_APPROVAL,
    RunState.PAUSED,
    RunState.ROLLING_BACK,
}


class Phase(StrEnum):
    BEFORE = "before"  # the wave's before-gates
    DEPLOY = "deploy"  # dispatching and judging the wave's clusters
    AFTER = "after"  # the wave's after-gates
    ROLLBACK = "rollback"  # restoring the baseline, wave by wave, backwards


class TargetState(StrEnum):
    PENDING = "pending"
    DISPATCHED = "dispatched"
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


class RestoreState(StrEnum):
    RESTORING = "restoring"
    RESTORED = "restored"
    FAILED = "failed"
    SKIPPED = "skipped"


# The wave of a cluster that no wave selects (strategy `unmatched: skip`).
NO_WAVE = -1


@dataclass(frozen=True)
class Run:
    id: int
    application: str
    revision: int
    digest: str
    state: RunState
    wave: int = 0
    phase: Phase = Phase.BEFORE
    gate: int = 0
    gate_opened_at: datetime | None = None
    paused_by_failure: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class Target:
    """One cluster of the frozen plan and how it went."""

    cluster: str
    wave: int
    position: int
    action: Action
    baseline: int | None  # revision to restore; None: the application was not installed there
    state: TargetState = TargetState.PENDING
    dispatched_at: datetime | None = None
    generation: int | None = None
    finished_at: datetime | None = None
    reason: str | None = None
    restore: RestoreState | None = None
    restore_dispatched_at: datetime | None = None
    restore_generation: int | None = None
    restore_finished_at: datetime | None = None
    restore_reason: str | None = None

    @property
    def resolved(self) -> bool:
        return self.state in (TargetState.PASSED, TargetState.FAILED, TargetState.SKIPPED)

    @property
    def changed_by_run(self) -> bool:
        """Sent this run's release (and not taken away from the run since): what a rollback restores."""
        return self.dispatched_at is not None and self.state is not TargetState.SKIPPED


@dataclass(frozen=True)
class Report(HealthFacts):
    """The newest status report of the application from the cluster, as the hub stored it: what a
    health gate reads, and since when it has read so (hub clock)."""

    since: datetime


@dataclass(frozen=True)
class Observation:
    """What the hub knows about one cluster of a run, at the moment the engine looks."""

    registered: bool
    selected: bool  # its labels still match the release's selector
    generation: int  # of the last desired-state message sent for the application; 0 when none
    revision: int | None  # of that message
    last_seen: datetime | None
    reachable: bool  # heartbeat fresh
    reachable_since: datetime | None
    report: Report | None


@dataclass(frozen=True)
class Happening:
    """Something worth a line in the audit log (and, later, a notification)."""

    action: str
    cluster: str | None = None
    reason: str | None = None
    revision: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GateKey:
    wave: int
    phase: Phase
    gate: int
