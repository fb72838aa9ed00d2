"""The rollout engine: from a run's state, its frozen plan, what the hub observes of each cluster, the
approvals given and the time, to the run's next state, the desired-state messages to send, what to
record, and when to look again. Pure and deterministic: the driver calls it whenever something may
have changed (a report, a control action, a timer) and writes the result in one transaction, so a hub
killed at any point resumes from the stored state without sending anything twice or skipping anyone.

Forward, wave by wave: the before-gates in order, then the wave's clusters (at most maxConcurrency
updating at once, each judged by the health gate), then the after-gates; a wave whose failures exceed
maxFailures fails the run's wave and the strategy's onFailure decides: pause, abort, or roll back.
A rollback restores each changed cluster's baseline, wave by wave in reverse order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, replace
from datetime import datetime

from hub.placements import Change
from hub.rollouts.health import judge_restore, judge_update, membership
from hub.rollouts.model import (
    GateKey,
    Happening,
    Observation,
    Phase,
    RestoreState,
    Run,
    RunState,
    Target,
    TargetState,
)
from hub.rollouts.spec import Gate, OnFailure, StrategySpec, Wave


@dataclass(frozen=True)
class Dispatch:
    change: Change
    restore: bool = False


@dataclass(frozen=True)
class Step:
    run: Run
    targets: dict[str, Target]
    dispatches: list[Dispatch]
    happenings: list[Happening]
    wake_at: datetime | None


class ControlError(Exception):
    """An operator action that does not apply to the run as it stands (the API answers 409)."""


class NotAllowed(Exception):
    """The caller lacks the role the action needs (the API answers 403)."""


def _listing(targets: list[Target], limit: int = 3) -> str:
    shown = "; ".join(f"{t.cluster}: {t.reason}" for t in targets[:limit])
    return shown + (f"; and {len(targets) - limit} more" if len(targets) > limit else "")


class _Advance:
    def __init__(
        self,
        run: Run,
        spec: StrategySpec,
        targets: Mapping[str, Target],
        observations: Mapping[str, Observation],
        approvals: Set[GateKey],
        now: datetime,
    ) -> None:
        self.run = run
        self.spec = spec
        self.targets = dict(targets)
        self.observations = observations
        self.approvals = approvals
        self.now = now
        self.dispatches: list[Dispatch] = []
        self.happenings: list[Happening] = []
        self.wakes: list[datetime] = []

    # -- helpers -----------------------------------------------------------------------------------

    def say(self, action: str, **fields: object) -> None:
        self.happenings.append(Happening(action=f"rollout.{action}", **fields))  # type: ignore[arg-type]

    def members(self, wave: int) -> list[Target]:
        return sorted((t for t in self.targets.values() if t.wave == wave), key=lambda t: t.position)

    def update(self, target: Target, **changes: object) -> Target:
        updated = replace(target, **changes)  # type: ignore[arg-type]
        self.targets[target.cluster] = updated
        return updated

    def wake(self, when: datetime | None) -> None:
        if when is not None:
            self.wakes.append(when)

    def step(self) -> Step:
        return Step(self.run, self.targets, self.dispatches, self.happenings, min(self.wakes, default=None))

    def set_run(self, **changes: object) -> None:
        self.run = replace(self.run, **changes)  # type: ignore[arg-type]

    def finish(self, state: RunState, reason: str) -> None:
        self.set_run(state=state, reason=reason, gate_opened_at=None)
        self.say(str(state), reason=reason, revision=self.run.revision)

    # -- forward -----------------------------------------------------------------------------------

    def advance(self) -> Step:
        if self.run.state is RunState.PLANNED:
            self.set_run(state=RunState.RUNNING)
            self.say(
                "started",
                revision=self.run.revision,
                details={"waves": [w.name for w in self.spec.waves], "clusters": len(self.targets)},
            )
            self.enter_wave(0)
        if self.run.state in (RunState.RUNNING, RunState.WAITING_FOR_APPROVAL):
            self.forward()
        elif self.run.state is RunState.ROLLING_BACK:
            self.backward()
        return self.step()

    def enter_wave(self, index: int) -> None:
        """Move to wave `index`. A wave the plan left empty still holds its gates: an approval stands
        between what came before and everything after, whether or not this wave has clusters."""
        self.set_run(wave=index, phase=Phase.BEFORE, gate=0, gate_opened_at=None)
        if index < len(self.spec.waves):
            wave = self.spec.waves[index]
            self.say("wave-started", details={"wave": wave.name, "clusters": [t.cluster for t in self.members(index)]})

    def forward(self) -> None:
        while True:
            if self.run.wave >= len(self.spec.waves):
                self.finish(RunState.SUCCEEDED, self.summary())
                return
            wave = self.spec.waves[self.run.wave]
            if self.run.phase in (Phase.BEFORE, Phase.AFTER):
                gates = wave.before if self.run.phase is Phase.BEFORE else wave.after
                if self.run.gate >= len(gates):
                    if self.run.phase is Phase.BEFORE:
                        self.set_run(phase=Phase.DEPLOY, gate=0, gate_opened_at=None)
                    else:
                        self.say("wave-passed", details={"wave": wave.name})
                        self.enter_wave(self.run.wave + 1)
                    continue
                if not self.gate(wave, gates[self.run.gate]):
                    return
                continue
            over_tolerance = self.deploy(wave)
            if over_tolerance is not None:
                self.fail_wave(wave, over_tolerance)
                return
            if any(not t.resolved for t in self.members(self.run.wave)):
                return
            self.set_run(phase=Phase.AFTER, gate=0, gate_opened_at=None)

    def summary(self) -> str:
        counts = {state: 0 for state in TargetState}
        for target in self.targets.values():
            counts[target.state] += 1
        text = f"{counts[TargetState.PASSED]} cluster(s) passed"
        if counts[TargetState.FAILED]:
            text += f", {counts[TargetState.FAILED]} failed within tolerance"
        if counts[TargetState.SKIPPED]:
            text += f", {counts[TargetState.SKIPPED]} skipped"
        return text

    def gate(self, wave: Wave, gate: Gate) -> bool:
        """Whether the current gate is passed (the run moves to the next one)."""
        key = GateKey(self.run.wave, self.run.phase, self.run.gate)
        where = {"wave": wave.name, "phase": str(self.run.phase), "gate": self.run.gate}
        if self.run.gate_opened_at is None:
            self.set_run(gate_opened_at=self.now)
            if gate.approval is not None:
                self.say(
                    "approval-requested", revision=self.run.revision, details={**where, "role": gate.approval.role}
                )
            else:
                self.say("wait-started", details={**where, "wait": gate.describe()})
        opened = self.run.gate_opened_at
        assert opened is not None
        if gate.approval is not None:
            if key not in self.approvals:
                self.set_run(state=RunState.WAITING_FOR_APPROVAL)
                return False
        elif gate.wait is not None and self.now < opened + gate.wait:
            self.set_run(state=RunState.RUNNING)
            self.wake(opened + gate.wait)
            return False
        self.say("gate-passed", details={**where, "gate_kind": gate.describe()})
        self.set_run(state=RunState.RUNNING, gate=self.run.gate + 1, gate_opened_at=None)
        return True

    def deploy(self, wave: Wave) -> list[Target] | None:
        """Judge the wave's dispatched clusters and dispatch more; the failed ones if over tolerance."""
        members = self.members(self.run.wave)
        for target in members:
            obs = self.observations[target.cluster]
            if target.state is TargetState.PENDING:
                why = membership(target, obs)
                if why is not None:
                    self.update(target, state=TargetState.SKIPPED, finished_at=self.now, reason=why)
                    self.say("cluster-skipped", cluster=target.cluster, reason=why)
            elif target.state is TargetState.DISPATCHED:
                if obs.generation != target.generation:
                    why = "a later change to the cluster replaced this dispatch"
                    self.update(target, state=TargetState.SKIPPED, finished_at=self.now, reason=why)
                    self.say("cluster-skipped", cluster=target.cluster, reason=why)
                    continue
                verdict = judge_update(
                    target,
                    obs,
                    revision=self.run.revision,
                    min_healthy=wave.min_healthy,
                    deadline=wave.progress_deadline,
                    now=self.now,
                )
                if verdict.outcome in ("passed", "failed", "skipped"):
                    state = TargetState(verdict.outcome)
                    self.update(target, state=state, finished_at=self.now, reason=verdict.reason)
                    self.say(f"cluster-{verdict.outcome}", cluster=target.cluster, reason=verdict.reason)
                else:
                    self.wake(verdict.wake_at)
        members = self.members(self.run.wave)
        failed = [t for t in members if t.state is TargetState.FAILED]
        if len(failed) > wave.tolerated_failures(len(members)):
            return failed
        in_flight = sum(1 for t in members if t.state is TargetState.DISPATCHED)
        room = wave.concurrency(len(members)) - in_flight
        for target in members:
            if room <= 0:
                break
            if target.state is TargetState.PENDING:
                self.dispatch(target, wave)
                room -= 1
        return None

    def dispatch(self, target: Target, wave: Wave) -> None:
        obs = self.observations[target.cluster]
        generation = obs.generation + 1
        if target.action == "bundle":
            change = Change(target.cluster, self.run.application, generation, self.run.revision, "bundle")
        else:
            change = Change(
                target.cluster, self.run.application, generation, obs.revision or 0, "removal", "unselected"
            )
        self.dispatches.append(Dispatch(change))
        self.update(target, state=TargetState.DISPATCHED, dispatched_at=self.now, generation=generation)
        self.say(
            "dispatched",
            cluster=target.cluster,
            revision=change.revision,
            details={"wave": wave.name, "kind": change.kind, "generation": generation},
        )
        self.wake(self.now + wave.progress_deadline)

    def fail_wave(self, wave: Wave, failed: list[Target]) -> None:
        size = len(self.members(self.run.wave))
        tolerated = wave.tolerated_failures(size)
        reason = (
            f"wave {wave.name}: {len(failed)} of {size} cluster(s) failed, {tolerated} tolerated: {_listing(failed)}"
        )
        self.say("wave-failed", reason=reason, details={"wave": wave.name, "failed": [t.cluster for t in failed]})
        policy = self.spec.on_failure
        if policy is OnFailure.PAUSE:
            self.set_run(state=RunState.PAUSED, paused_by_failure=True, reason=reason)
            self.say("paused", reason=reason, revision=self.run.revision)
        elif policy is OnFailure.ABORT:
            self.finish(RunState.FAILED, reason)
        else:
            self.start_rollback(reason)
            self.backward()

    # -- backward ----------------------------------------------------------------------------------

    def start_rollback(self, reason: str) -> None:
        changed = [t.wave for t in self.targets.values() if t.changed_by_run]
        self.set_run(
            state=RunState.ROLLING_BACK,
            phase=Phase.ROLLBACK,
            wave=max(changed, default=-1),
            gate=0,
            gate_opened_at=None,
            paused_by_failure=False,
            reason=reason,
        )
        self.say("rolling-back", reason=reason, revision=self.run.revision)

    def backward(self) -> None:
        while True:
            if self.run.wave < 0:
                restored = [t for t in self.targets.values() if t.restore is RestoreState.RESTORED]
                broken = [t for t in self.targets.values() if t.restore is RestoreState.FAILED]
                if broken:
                    problems = _listing([replace(t, reason=t.restore_reason) for t in broken])
                    self.finish(RunState.FAILED, f"rollback incomplete: {problems}")
                else:
                    self.finish(RunState.ROLLED_BACK, f"baseline healthy again on {len(restored)} cluster(s)")
                return
            wave = self.spec.waves[self.run.wave]
            members = [t for t in self.members(self.run.wave) if t.changed_by_run]
            for target in members:
                if target.restore is None:
                    self.restore(target, wave)
                elif target.restore is RestoreState.RESTORING:
                    self.check_restore(target, wave)
            if any(self.targets[t.cluster].restore is RestoreState.RESTORING for t in members):
                return
            if members:
                self.say("wave-restored", details={"wave": wave.name})
            self.set_run(wave=self.run.wave - 1)

    def restore(self, target: Target, wave: Wave) -> None:
        obs = self.observations[target.cluster]
        if not obs.registered:
            self.update(
                target,
                restore=RestoreState.SKIPPED,
                restore_finished_at=self.now,
                restore_reason="cluster deregistered",
            )
            return
        generation = obs.generation + 1
        if target.baseline is None:
            change = Change(
                target.cluster, self.run.application, generation, obs.revision or 0, "removal", "unselected"
            )
        else:
            change = Change(target.cluster, self.run.application, generation, target.baseline, "bundle")
        self.dispatches.append(Dispatch(change, restore=True))
        self.update(
            target, restore=RestoreState.RESTORING, restore_dispatched_at=self.now, restore_generation=generation
        )
        self.say(
            "restoring",
            cluster=target.cluster,
            revision=change.revision,
            details={"wave": wave.name, "kind": change.kind, "generation": generation},
        )
        self.wake(self.now + wave.progress_deadline)

    def check_restore(self, target: Target, wave: Wave) -> None:
        obs = self.observations[target.cluster]
        if obs.generation != target.restore_generation:
            verdict_outcome, reason = "skipped", "a later change to the cluster replaced the restore"
        else:
            verdict = judge_restore(target, obs, deadline=wave.progress_deadline, now=self.now)
            if verdict.outcome not in ("passed", "failed", "skipped"):
                self.wake(verdict.wake_at)
                return
            verdict_outcome, reason = verdict.outcome, verdict.reason
        state = {"passed": RestoreState.RESTORED, "failed": RestoreState.FAILED}.get(
            verdict_outcome, RestoreState.SKIPPED
        )
        self.update(target, restore=state, restore_finished_at=self.now, restore_reason=reason)
        self.say(
            f"cluster-{state}" if state is not RestoreState.FAILED else "restore-failed",
            cluster=target.cluster,
            reason=reason,
        )


def advance(
    run: Run,
    spec: StrategySpec,
    targets: Mapping[str, Target],
    observations: Mapping[str, Observation],
    approvals: Set[GateKey],
    now: datetime,
) -> Step:
    """The run's next state. `observations` covers every target's cluster; `approvals` are the gates of
    this run that someone approved."""
    return _Advance(run, spec, targets, observations, approvals, now).advance()


# -- operator controls (each checked here, applied by the service, followed by `advance`) ----------


def pause(run: Run, reason: str) -> Run:
    if run.state not in (RunState.PLANNED, RunState.RUNNING, RunState.WAITING_FOR_APPROVAL):
        raise ControlError(f"run {run.id} is {run.state}: only a running run can be paused")
    return replace(run, state=RunState.PAUSED, paused_by_failure=False, reason=reason)


def resume(run: Run, targets: Mapping[str, Target], now: datetime) -> tuple[Run, dict[str, Target]]:
    """Back to running. After a pause for a failed wave, the failed clusters get a fresh deadline: the
    operator resumes once they believe the cause is gone, and the gate judges them again."""
    if run.state is not RunState.PAUSED:
        raise ControlError(f"run {run.id} is {run.state}: only a paused run can be resumed")
    rearmed: dict[str, Target] = {}
    if run.paused_by_failure:
        for target in targets.values():
            if target.wave == run.wave and target.state is TargetState.FAILED:
                rearmed[target.cluster] = replace(
                    target, state=TargetState.DISPATCHED, dispatched_at=now, finished_at=None, reason=None
                )
    return replace(run, state=RunState.RUNNING, paused_by_failure=False, reason=None), rearmed


def abort(run: Run, reason: str) -> Run:
    if not run.state.active:
        raise ControlError(f"run {run.id} is {run.state}: it is already finished")
    return replace(run, state=RunState.ABORTED, reason=reason, gate_opened_at=None)


def rollback(
    run: Run,
    spec: StrategySpec,
    targets: Mapping[str, Target],
    observations: Mapping[str, Observation],
    reason: str,
    now: datetime,
) -> Step:
    """Start restoring the baseline on every cluster the run changed, and take the first steps."""
    allowed = (
        RunState.PLANNED,
        RunState.RUNNING,
        RunState.WAITING_FOR_APPROVAL,
        RunState.PAUSED,
        RunState.FAILED,
        RunState.ABORTED,
    )
    if run.state not in allowed:
        raise ControlError(f"run {run.id} is {run.state}: it cannot be rolled back")
    work = _Advance(run, spec, targets, observations, frozenset(), now)
    work.start_rollback(reason)
    work.backward()
    return work.step()


def approve(
    run: Run, spec: StrategySpec, has_role: Callable[[str], bool], *, wave: str | None = None
) -> tuple[GateKey, str]:
    """The gate this approval opens and the role it was given under; `wave`, when given, must be the
    wave waiting (so an approver never approves something other than what they looked at)."""
    if run.state is not RunState.WAITING_FOR_APPROVAL or run.phase not in (Phase.BEFORE, Phase.AFTER):
        raise ControlError(f"run {run.id} is {run.state}: nothing is waiting for approval")
    current = spec.waves[run.wave]
    if wave is not None and wave != current.name:
        raise ControlError(f"run {run.id} waits for approval of wave {current.name}, not {wave}")
    gates = current.before if run.phase is Phase.BEFORE else current.after
    gate = gates[run.gate]
    assert gate.approval is not None
    if not has_role(gate.approval.role):
        raise NotAllowed(f"approving wave {current.name} needs role {gate.approval.role}")
    return GateKey(run.wave, run.phase, run.gate), gate.approval.role


def supersede(run: Run, reason: str) -> Run:
    """A newer release ends the run where it is; clusters keep what they have until the next run."""
    return replace(run, state=RunState.SUPERSEDED, reason=reason, gate_opened_at=None)
