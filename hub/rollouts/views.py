"""What the API shows of rollouts: response models, and the pure assembly of a run's status from its
stored state and what the hub observes now (soaking clusters, time left, what the run waits for)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.durations import format_duration
from hub.rollouts.health import Judgement, judge_restore, judge_update
from hub.rollouts.model import NO_WAVE, Observation, Phase, RestoreState, Run, RunState, Target, TargetState
from hub.rollouts.spec import StrategySpec


class StrategyOut(BaseModel):
    name: str
    version: int
    digest: str
    spec: dict[str, Any] = Field(description="The strategy as stored: camelCase fields, durations as text.")
    created_at: datetime
    updated_at: datetime
    applications: list[str] = Field(default_factory=list, description="Applications that roll out with it.")


class StrategyList(BaseModel):
    items: list[StrategyOut]


class StrategyVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    version: int
    digest: str
    spec: dict[str, Any]
    created_at: datetime
    created_by: str


class StrategyVersionList(BaseModel):
    items: list[StrategyVersionOut]


class ApprovalOut(BaseModel):
    wave: str
    phase: str
    gate: int
    revision: int
    digest: str
    actor: str
    role: str
    decided_at: datetime
    comment: str | None


class GateOut(BaseModel):
    phase: str = Field(description="before or after the wave")
    index: int
    kind: str = Field(description="e.g. 'approval by role approver' or 'wait 10m'")
    state: str = Field(description="pending, open or passed")
    opened_at: datetime | None = None
    approved_by: str | None = None


class RolloutCluster(BaseModel):
    cluster: str
    wave: str | None = Field(description="None: no wave of the strategy selects it (skipped).")
    action: str = Field(description="bundle (gets the release) or removal (leaves the selector)")
    state: str = Field(description="pending, dispatched, passed, failed or skipped")
    progress: str | None = Field(
        default=None, description="For a dispatched cluster, now: 'healthy' (soaking) or 'waiting'."
    )
    detail: str | None = Field(default=None, description="Why it passed, failed or was skipped, or what it shows now.")
    baseline_revision: int | None = Field(description="What a rollback restores; None: not installed before.")
    dispatched_at: datetime | None
    healthy_since: datetime | None = None
    finished_at: datetime | None
    restore: str | None = Field(default=None, description="restoring, restored, failed or skipped, in a rollback")
    restore_detail: str | None = None


class RolloutWave(BaseModel):
    name: str
    state: str = Field(
        description="pending, in progress, passed, failed; in a rollback: to restore, restoring, restored, "
        "restore failed"
    )
    clusters: dict[str, int] = Field(description="Clusters by state; dispatched ones split into healthy and waiting.")
    gates: list[GateOut]


class RolloutOut(BaseModel):
    id: int
    application: str
    revision: int
    digest: str
    strategy: str
    strategy_version: int
    state: RunState
    reason: str | None
    waiting_for: str | None = Field(description="What the run waits for now, in words; None once finished.")
    wave: str | None = Field(description="The wave it is at (forward or restoring).")
    created_at: datetime
    created_by: str
    updated_at: datetime
    finished_at: datetime | None
    next_evaluation_at: datetime | None
    superseded_by: int | None
    waves: list[RolloutWave]
    clusters: list[RolloutCluster]
    approvals: list[ApprovalOut]


class RolloutSummary(BaseModel):
    id: int
    application: str
    revision: int
    strategy: str
    strategy_version: int
    state: RunState
    reason: str | None
    created_at: datetime
    created_by: str
    finished_at: datetime | None


class RolloutList(BaseModel):
    items: list[RolloutSummary]


@dataclass(frozen=True)
class RunRecord:
    """The stored facts of a run the pure model does not hold."""

    strategy: str
    strategy_version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    finished_at: datetime | None
    next_evaluation_at: datetime | None
    superseded_by: int | None


def _live(run: Run, spec: StrategySpec, target: Target, obs: Observation | None, now: datetime) -> Judgement | None:
    if obs is None or target.wave == NO_WAVE:
        return None
    wave = spec.waves[target.wave]
    if target.restore is RestoreState.RESTORING and run.state.active:
        return judge_restore(target, obs, deadline=wave.progress_deadline, now=now)
    if target.state is TargetState.DISPATCHED and run.state.active:
        return judge_update(
            target, obs, revision=run.revision, min_healthy=wave.min_healthy, deadline=wave.progress_deadline, now=now
        )
    return None


def _cluster(run: Run, spec: StrategySpec, target: Target, obs: Observation | None, now: datetime) -> RolloutCluster:
    live = _live(run, spec, target, obs, now)
    forward_live = live if target.restore is None else None
    restore_live = live if target.restore is not None else None
    return RolloutCluster(
        cluster=target.cluster,
        wave=spec.waves[target.wave].name if target.wave != NO_WAVE else None,
        action=target.action,
        state=str(target.state),
        progress=forward_live.outcome if forward_live and forward_live.outcome in ("healthy", "waiting") else None,
        detail=forward_live.reason if forward_live else target.reason,
        baseline_revision=target.baseline,
        dispatched_at=target.dispatched_at,
        healthy_since=forward_live.healthy_since if forward_live else None,
        finished_at=target.finished_at,
        restore=str(target.restore) if target.restore else None,
        restore_detail=restore_live.reason if restore_live else target.restore_reason,
    )


_PHASE_ORDER = {Phase.BEFORE: 0, Phase.DEPLOY: 1, Phase.AFTER: 2}


def _gate_state(run: Run, top_changed: int, here: tuple[int, int, int]) -> str:
    """passed, open or pending. In a rollback the forward position is gone; every gate before the
    furthest wave the run changed was passed, since the run went past it."""
    if run.phase is Phase.ROLLBACK:
        return "passed" if here < (top_changed, _PHASE_ORDER[Phase.DEPLOY], 0) else "pending"
    position = (run.wave, _PHASE_ORDER[run.phase], run.gate)
    if here < position:
        return "passed"
    if here == position and run.gate_opened_at is not None and run.state.active:
        return "open"
    return "pending"


def _gates(
    run: Run, spec: StrategySpec, index: int, top_changed: int, approvers: Mapping[tuple[int, str, int], str]
) -> list[GateOut]:
    wave = spec.waves[index]
    result: list[GateOut] = []
    for phase, gates in ((Phase.BEFORE, wave.before), (Phase.AFTER, wave.after)):
        for position, gate in enumerate(gates):
            state = _gate_state(run, top_changed, (index, _PHASE_ORDER[phase], position))
            result.append(
                GateOut(
                    phase=str(phase),
                    index=position,
                    kind=gate.describe(),
                    state=state,
                    opened_at=run.gate_opened_at if state == "open" else None,
                    approved_by=approvers.get((index, str(phase), position)),
                )
            )
    return result


def _wave_state(run: Run, index: int, members: Sequence[Target]) -> str:
    if run.phase is Phase.ROLLBACK:
        changed = [t for t in members if t.changed_by_run]
        if not changed:
            return "pending"  # the run never reached it: nothing to restore
        if any(t.restore is RestoreState.RESTORING for t in changed) or (index == run.wave and run.state.active):
            return "restoring"
        if index < run.wave:
            return "to restore"
        return "restore failed" if any(t.restore is RestoreState.FAILED for t in changed) else "restored"
    if index < run.wave or run.state is RunState.SUCCEEDED:
        return "passed"
    if index > run.wave:
        return "pending"
    if (run.state is RunState.PAUSED and run.paused_by_failure) or run.state is RunState.FAILED:
        return "failed"
    return "in progress"


def waiting_for(run: Run, spec: StrategySpec, clusters: Sequence[RolloutCluster], now: datetime) -> str | None:
    if not run.state.active:
        return None
    if run.state is RunState.PAUSED:
        return f"an operator: paused ({run.reason or 'no reason given'}); resume, abort or roll back"
    if run.state is RunState.PLANNED:
        return "the rollout driver to start it"
    wave = spec.waves[run.wave] if 0 <= run.wave < len(spec.waves) else None
    if wave is None:
        return None
    if run.state is RunState.ROLLING_BACK:
        restoring = [c for c in clusters if c.wave == wave.name and c.restore == "restoring"]
        names = ", ".join(c.cluster for c in restoring) or "nothing"
        return f"wave {wave.name} to be back on its baseline: {names}"
    if run.phase in (Phase.BEFORE, Phase.AFTER):
        gates = wave.before if run.phase is Phase.BEFORE else wave.after
        if run.gate < len(gates):
            gate = gates[run.gate]
            where = f"{run.phase} wave {wave.name}"
            opened = run.gate_opened_at
            if gate.approval is not None:
                since = f" (requested {format_duration(now - opened, whole_seconds=True)} ago)" if opened else ""
                return f"approval by role {gate.approval.role} {where}{since}"
            if gate.wait is not None and opened is not None:
                left = max(opened + gate.wait - now, timedelta(0))
                return f"a timed wait {where}: {format_duration(left, whole_seconds=True)} left"
        return f"wave {wave.name}"
    in_wave = [c for c in clusters if c.wave == wave.name]
    counts = Counter(c.progress or c.state for c in in_wave)
    parts = [
        f"{counts[key]} {key}"
        for key in ("pending", "waiting", "healthy", "passed", "failed", "skipped")
        if counts[key]
    ]
    soaking = [c for c in in_wave if c.progress == "healthy" and c.detail]
    detail = f"; {soaking[0].cluster}: {soaking[0].detail}" if len(soaking) == 1 else ""
    return f"wave {wave.name}: {', '.join(parts)}{detail}"


def rollout_view(
    run: Run,
    record: RunRecord,
    spec: StrategySpec,
    targets: Sequence[Target],
    observations: Mapping[str, Observation],
    approvals: Sequence[ApprovalOut],
    now: datetime,
) -> RolloutOut:
    ordered = sorted(targets, key=lambda t: (t.wave == NO_WAVE, t.wave, t.position))
    clusters = [_cluster(run, spec, t, observations.get(t.cluster), now) for t in ordered]
    index_of = {wave.name: index for index, wave in enumerate(spec.waves)}
    approvers = {(index_of[a.wave], a.phase, a.gate): a.actor for a in approvals if a.wave in index_of}
    top_changed = max((t.wave for t in targets if t.changed_by_run), default=-1)
    waves: list[RolloutWave] = []
    for index, wave in enumerate(spec.waves):
        members = [t for t in ordered if t.wave == index]
        views = [c for c in clusters if c.wave == wave.name]
        waves.append(
            RolloutWave(
                name=wave.name,
                state=_wave_state(run, index, members),
                clusters=dict(Counter(c.progress or c.state for c in views)),
                gates=_gates(run, spec, index, top_changed, approvers),
            )
        )
    current = spec.waves[run.wave].name if 0 <= run.wave < len(spec.waves) and run.state.active else None
    return RolloutOut(
        id=run.id,
        application=run.application,
        revision=run.revision,
        digest=run.digest,
        strategy=record.strategy,
        strategy_version=record.strategy_version,
        state=run.state,
        reason=run.reason,
        waiting_for=waiting_for(run, spec, clusters, now),
        wave=current,
        created_at=record.created_at,
        created_by=record.created_by,
        updated_at=record.updated_at,
        finished_at=record.finished_at,
        next_evaluation_at=record.next_evaluation_at,
        superseded_by=record.superseded_by,
        waves=waves,
        clusters=clusters,
        approvals=list(approvals),
    )
