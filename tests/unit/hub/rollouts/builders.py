"""Small builders for rollout engine tests: strategies from YAML-like dicts, runs from plans, and
observations of clusters in the states the health gate distinguishes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.rollouts.engine import Step, advance
from hub.rollouts.model import GateKey, Observation, Report, Run, RunState, Target
from hub.rollouts.plan import Candidate, plan_waves
from hub.rollouts.spec import StrategySpec
from schemas.v1 import Health

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
APP = "web"
REVISION = 7


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def strategy(waves: list[dict[str, Any]], **rest: Any) -> StrategySpec:
    return StrategySpec.model_validate({"waves": waves, **rest})


def planned(
    spec: StrategySpec, clusters: Mapping[str, Mapping[str, str]], baseline: int | None = 6
) -> dict[str, Target]:
    candidates = [Candidate(name, labels, "bundle", baseline) for name, labels in clusters.items()]
    return {t.cluster: t for t in plan_waves(spec, candidates)}


def new_run(run_id: int = 1, revision: int = REVISION) -> Run:
    return Run(id=run_id, application=APP, revision=revision, digest="sha256:abc", state=RunState.PLANNED)


def silent(generation: int = 0, *, registered: bool = True, selected: bool = True) -> Observation:
    """Registered, heartbeats fresh, nothing reported yet."""
    return Observation(
        registered=registered,
        selected=selected,
        generation=generation,
        revision=REVISION - 1 if generation else None,
        last_seen=T0,
        reachable=True,
        reachable_since=T0,
        report=None,
    )


def reporting(
    generation: int,
    *,
    revision: int = REVISION,
    health: Health = Health.READY,
    since: datetime = T0,
    applied: int | None = None,
    errors: tuple[str, ...] = (),
    reachable: bool = True,
    reachable_since: datetime = T0,
    removed: bool = False,
) -> Observation:
    return Observation(
        registered=True,
        selected=True,
        generation=generation,
        revision=revision,
        last_seen=T0,
        reachable=reachable,
        reachable_since=reachable_since,
        report=Report(
            observed_generation=generation,
            observed_revision=revision,
            last_applied_revision=revision if applied is None else applied,
            health=health.value,
            errors=errors,
            removed=removed,
            since=since,
        ),
    )


class Driver:
    """Runs the engine the way the hub does: state in, step out, state kept; observations set by tests."""

    def __init__(self, spec: StrategySpec, targets: dict[str, Target], run: Run | None = None) -> None:
        self.spec = spec
        self.run = run or new_run()
        self.targets = targets
        self.observations: dict[str, Observation] = {name: silent() for name in targets}
        self.approvals: set[GateKey] = set()
        self.sent: dict[str, int] = {}

    def step(self, now: datetime) -> Step:
        step = advance(self.run, self.spec, self.targets, self.observations, self.approvals, now)
        self.run, self.targets = step.run, step.targets
        for dispatch in step.dispatches:
            change = dispatch.change
            self.sent[change.cluster] = change.generation
            previous = self.observations[change.cluster]
            self.observations[change.cluster] = Observation(
                registered=previous.registered,
                selected=previous.selected,
                generation=change.generation,
                revision=change.revision,
                last_seen=previous.last_seen,
                reachable=previous.reachable,
                reachable_since=previous.reachable_since,
                report=previous.report,
            )
        return step

    def healthy(self, cluster: str, since: datetime, revision: int = REVISION) -> None:
        self.observations[cluster] = reporting(self.sent[cluster], revision=revision, since=since)

    def state(self, cluster: str) -> str:
        return str(self.targets[cluster].state)

    def dispatched(self, step: Step) -> list[str]:
        return [d.change.cluster for d in step.dispatches]
