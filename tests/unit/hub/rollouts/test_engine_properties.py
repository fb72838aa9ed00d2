"""Invariants of the rollout engine, over random fleets, strategies and cluster behaviour (hypothesis).

A simulated world plays the spokes: each dispatch is applied after a delay, then the cluster is healthy,
flaky (healthy with dips), never healthy, or rejects the release; heartbeats come every 10 s except in
silences. The hub's side is what the real hub stores: the newest report with `health_since` and the
cluster's `reachable_since`, computed by the same pure ingest functions. The engine is driven at every
moment something changes (as the hub's driver is woken by reports and timers) and at random moments
between, with approvals, pauses, resumes and rollbacks by an operator. After every step:

1. no cluster outside its wave is ever dispatched: a wave's clusters are dispatched only once every
   earlier wave is resolved within its tolerance and every gate before them has been passed;
2. a wave never has more clusters updating at once than its maxConcurrency;
3. an unhealthy or silent cluster never counts as passed: at the moment a cluster passes, the world had
   it applied, Ready and heartbeating, without a break, for the wave's whole minHealthy;
4. nothing is dispatched twice, and nothing moves while a run is paused or finished;
5. a rollback restores each changed cluster once, waves in reverse order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.ingest import HealthFacts, health_since, reachable_since
from hub.rollouts import engine
from hub.rollouts.model import GateKey, Observation, Phase, Report, RestoreState, Run, RunState, Target, TargetState
from hub.rollouts.plan import Candidate, plan_waves
from hub.rollouts.spec import StrategySpec
from schemas.v1 import Health
from tests.unit.hub.rollouts.builders import REVISION, T0, new_run, strategy

HEARTBEAT = 10.0
UNREACHABLE_AFTER = 25.0
HORIZON = 4000.0
ENVS = ("staging", "canary", "prod")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# -- the simulated world ------------------------------------------------------------------------


@dataclass(frozen=True)
class Behaviour:
    """How a cluster takes a release: apply delay, then healthy/unhealthy spans (seconds after apply)."""

    apply_delay: float
    kind: str  # good | flaky | never | rejects
    ready_after: float
    dips: tuple[tuple[float, float], ...]  # (start, length) of unhealthy spans after ready

    def healthy_at(self, since_apply: float) -> bool:
        if self.kind in ("never", "rejects") or since_apply < self.ready_after:
            return False
        return not any(start <= since_apply - self.ready_after < start + length for start, length in self.dips)


@dataclass
class Sent:
    time: float
    generation: int
    revision: int | None  # None: a removal
    restore: bool


@dataclass
class World:
    behaviours: dict[str, Behaviour]
    silences: dict[str, list[tuple[float, float]]]
    sent: dict[str, list[Sent]] = field(default_factory=dict)

    def latest_applied(self, cluster: str, t: float) -> Sent | None:
        applied = [s for s in self.sent.get(cluster, []) if s.time + self.behaviours[cluster].apply_delay <= t]
        return applied[-1] if applied else None

    def facts(self, cluster: str, t: float) -> HealthFacts | None:
        """The report a spoke would have sent by `t` (None: nothing sent to it yet)."""
        sent = self.latest_applied(cluster, t)
        if sent is None:
            return None
        behaviour = self.behaviours[cluster]
        if sent.revision is None:
            return HealthFacts(sent.generation, REVISION - 1, None, Health.MISSING.value, (), True)
        # a restore (to a known-good baseline) is healthy once applied; the release behaves as drawn
        since_apply = t - sent.time - behaviour.apply_delay
        if behaviour.kind == "rejects" and not sent.restore:
            return HealthFacts(sent.generation, sent.revision, None, Health.DEGRADED.value, ("rejected",), False)
        healthy = sent.restore or behaviour.healthy_at(since_apply)
        health = Health.READY.value if healthy else Health.PROGRESSING.value
        return HealthFacts(sent.generation, sent.revision, sent.revision, health, (), False)

    def heartbeats_until(self, cluster: str, t: float) -> list[float]:
        beats = []
        beat = 0.0
        while beat <= t:
            if not any(start <= beat < start + length for start, length in self.silences[cluster]):
                beats.append(beat)
            beat += HEARTBEAT
        return beats

    def reachable(self, cluster: str, t: float) -> bool:
        beats = self.heartbeats_until(cluster, t)
        return bool(beats) and t - beats[-1] <= UNREACHABLE_AFTER

    def truly_healthy(self, cluster: str, t: float, generation: int, revision: int) -> bool:
        facts = self.facts(cluster, t)
        return (
            facts is not None
            and facts.observed_generation >= generation
            and facts.observed_revision == revision
            and facts.last_applied_revision == revision
            and facts.health == Health.READY.value
            and not facts.errors
            and self.reachable(cluster, t)
        )

    def change_points(self, cluster: str) -> list[float]:
        points: list[float] = []
        behaviour = self.behaviours[cluster]
        for sent in self.sent.get(cluster, []):
            applied = sent.time + behaviour.apply_delay
            points.append(applied)
            points.append(applied + behaviour.ready_after)
            for start, length in behaviour.dips:
                points += [applied + behaviour.ready_after + start, applied + behaviour.ready_after + start + length]
        for start, length in self.silences[cluster]:
            points += [start + UNREACHABLE_AFTER + 0.5, start + length + HEARTBEAT]
        return points


class Hub:
    """What the real hub stores from reports and heartbeats, by the same ingest rules."""

    def __init__(self, world: World, clusters: list[str]) -> None:
        self.world = world
        self.stored: dict[str, tuple[HealthFacts, datetime]] = {}
        self.seen: dict[str, tuple[float, datetime]] = {}
        self.clusters = clusters

    def catch_up(self, t: float) -> None:
        for cluster in self.clusters:
            facts = self.world.facts(cluster, t)
            if facts is not None:
                previous = self.stored.get(cluster)
                since = health_since(previous[0] if previous else None, previous[1] if previous else None, facts, at(t))
                self.stored[cluster] = (facts, since)
            beats = self.world.heartbeats_until(cluster, t)
            for beat in beats:
                previous_seen = self.seen.get(cluster)
                if previous_seen is not None and beat <= previous_seen[0]:
                    continue
                since = reachable_since(
                    at(previous_seen[0]) if previous_seen else None,
                    previous_seen[1] if previous_seen else None,
                    at(beat),
                    timedelta(seconds=UNREACHABLE_AFTER),
                )
                self.seen[cluster] = (beat, since)

    def observation(self, cluster: str, t: float, generation: int, revision: int | None) -> Observation:
        stored = self.stored.get(cluster)
        seen = self.seen.get(cluster)
        report = None
        if stored is not None:
            facts, since = stored
            report = Report(**vars(facts), since=since)
        return Observation(
            registered=True,
            selected=True,
            generation=generation,
            revision=revision,
            last_seen=at(seen[0]) if seen else None,
            reachable=seen is not None and t - seen[0] <= UNREACHABLE_AFTER,
            reachable_since=seen[1] if seen else None,
            report=report,
        )


# -- what hypothesis draws ------------------------------------------------------------------------

amounts = st.one_of(st.none(), st.integers(1, 3), st.sampled_from(["34%", "50%", "100%"]))
gates = st.lists(
    st.one_of(
        st.just({"approval": {"role": "approver"}}),
        st.integers(0, 120).map(lambda s: {"wait": f"{s}s"}),
    ),
    max_size=2,
)


@st.composite
def strategies_(draw: Callable[..., Any]) -> StrategySpec:
    waves = []
    for index in range(draw(st.integers(1, 4))):
        wave: dict[str, Any] = {
            "name": f"w{index}",
            "minHealthy": f"{draw(st.integers(0, 90))}s",
            "progressDeadline": f"{draw(st.integers(30, 400))}s",
            "maxFailures": draw(st.sampled_from([0, 0, 1, "30%"])),
            "before": draw(gates),
            "after": draw(gates),
        }
        selector = draw(st.sampled_from([None, "env=staging", "env=canary", "env=prod", "env in (canary,prod)"]))
        if selector:
            wave["selector"] = selector
        for key in ("limit", "maxConcurrency"):
            amount = draw(amounts)
            if amount is not None:
                wave[key] = amount
        waves.append(wave)
    return strategy(
        waves,
        onFailure=draw(st.sampled_from(["pause", "abort", "rollback"])),
        unmatched=draw(st.sampled_from(["skip", "lastWave"])),
        sortLabel="order",
    )


behaviours = st.builds(
    Behaviour,
    apply_delay=st.integers(0, 20).map(float),
    kind=st.sampled_from(["good", "good", "good", "flaky", "never", "rejects"]),
    ready_after=st.integers(0, 60).map(float),
    dips=st.lists(
        st.tuples(st.integers(0, 120), st.integers(1, 40)).map(lambda p: (float(p[0]), float(p[1]))), max_size=2
    ).map(tuple),
)
silences = st.lists(
    st.tuples(st.integers(0, 1500), st.integers(5, 120)).map(lambda p: (float(p[0]), float(p[1]))), max_size=2
)


@st.composite
def scenarios(draw: Callable[..., Any]) -> dict[str, Any]:
    count = draw(st.integers(1, 8))
    clusters = {
        f"c{i}": {"env": draw(st.sampled_from(ENVS)), "order": str(draw(st.integers(0, 3)))} for i in range(count)
    }
    return {
        "spec": draw(strategies_()),
        "clusters": clusters,
        "baselines": {c: draw(st.sampled_from([None, REVISION - 1])) for c in clusters},
        "behaviours": {c: draw(behaviours) for c in clusters},
        "silences": {c: draw(silences) for c in clusters},
        "approval_delay": draw(st.integers(0, 300)),
        "pause": draw(st.one_of(st.none(), st.tuples(st.integers(0, 1500), st.integers(1, 300)))),
        "rollback_at": draw(st.one_of(st.none(), st.integers(0, 2500))),
        "probes": draw(st.lists(st.integers(0, int(HORIZON)), max_size=15)),
    }


# -- the run, with the checks -------------------------------------------------------------------


class Simulation:
    def __init__(self, scenario: dict[str, Any]) -> None:
        self.spec: StrategySpec = scenario["spec"]
        clusters: dict[str, dict[str, str]] = scenario["clusters"]
        candidates = [Candidate(c, labels, "bundle", scenario["baselines"][c]) for c, labels in clusters.items()]
        self.targets = {t.cluster: t for t in plan_waves(self.spec, candidates)}
        self.run: Run = new_run()
        self.world = World(scenario["behaviours"], scenario["silences"])
        self.hub = Hub(self.world, list(clusters))
        self.generation = {c: 1 for c in clusters}  # each had something sent before the run
        self.placed_revision: dict[str, int | None] = dict.fromkeys(clusters, REVISION - 1)
        self.approvals: set[GateKey] = set()
        self.approval_due: dict[GateKey, float] = {}
        self.approval_delay = float(scenario["approval_delay"])
        self.pause: tuple[int, int] | None = scenario["pause"]
        self.rollback_at: int | None = scenario["rollback_at"]
        self.probes = sorted(float(p) for p in scenario["probes"])
        self.dispatched_forward: set[str] = set()
        self.restored: set[str] = set()
        self.restore_waves: list[int] = []

    def observations(self, t: float) -> dict[str, Observation]:
        return {c: self.hub.observation(c, t, self.generation[c], self.placed_revision[c]) for c in self.targets}

    def next_time(self, t: float, wake: datetime | None) -> float | None:
        candidates = [p for c in self.targets for p in self.world.change_points(c)]
        candidates += self.probes + list(self.approval_due.values())
        if wake is not None:
            candidates.append((wake - at(0)).total_seconds())
        if self.pause is not None:
            candidates += [float(self.pause[0]), float(self.pause[0] + self.pause[1])]
        if self.rollback_at is not None:
            candidates.append(float(self.rollback_at))
        later = [p for p in candidates if t < p <= HORIZON]
        return min(later, default=None)

    def operate(self, t: float) -> None:
        """The operator: approvals after a delay, a pause and a resume, a rollback."""
        if self.run.state is RunState.WAITING_FOR_APPROVAL:
            key = GateKey(self.run.wave, self.run.phase, self.run.gate)
            due = self.approval_due.setdefault(key, t + self.approval_delay)
            if t >= due:
                approved, _role = engine.approve(self.run, self.spec, lambda role: True)
                self.approvals.add(approved)
        if (
            self.pause is not None
            and t == self.pause[0]
            and self.run.state
            in (
                RunState.RUNNING,
                RunState.WAITING_FOR_APPROVAL,
            )
        ):
            self.run = engine.pause(self.run, "operator")
        if self.pause is not None and t == self.pause[0] + self.pause[1] and self.run.state is RunState.PAUSED:
            self.run, rearmed = engine.resume(self.run, self.targets, at(t))
            self.targets = {**self.targets, **rearmed}
        if self.rollback_at is not None and t == self.rollback_at:
            try:
                step = engine.rollback(self.run, self.spec, self.targets, self.observations(t), "operator", at(t))
            except engine.ControlError:
                return
            self.apply(step, t, None)

    def apply(self, step: engine.Step, t: float, before: Run | None) -> None:
        """`before`: the run as the step found it; None for an operator's rollback, which acts on a
        paused or finished run by design."""
        self.check(step, t, before)
        self.run, self.targets = step.run, step.targets
        for dispatch in step.dispatches:
            change = dispatch.change
            self.generation[change.cluster] = change.generation
            revision = change.revision if change.kind == "bundle" else None
            self.placed_revision[change.cluster] = change.revision
            self.world.sent.setdefault(change.cluster, []).append(
                Sent(t, change.generation, revision, dispatch.restore)
            )

    def play(self) -> None:
        t = 0.0
        wake: datetime | None = None
        steps = 0
        while True:
            self.hub.catch_up(t)
            self.operate(t)
            before = self.run
            step = engine.advance(self.run, self.spec, self.targets, self.observations(t), self.approvals, at(t))
            self.apply(step, t, before)
            wake = step.wake_at
            steps += 1
            if not self.run.state.active:
                self.check_finished()
                return
            following = self.next_time(t, wake)
            if following is None or steps > 2000:
                return
            t = following

    # -- invariants ------------------------------------------------------------------------------

    def gates_before(self, wave: int) -> list[GateKey]:
        """Every approval gate a dispatch into `wave` must have passed."""
        keys = []
        for index in range(wave + 1):
            spec_wave = self.spec.waves[index]
            phases = [(Phase.BEFORE, spec_wave.before)] + ([(Phase.AFTER, spec_wave.after)] if index < wave else [])
            for phase, gates in phases:
                keys += [GateKey(index, phase, g) for g, gate in enumerate(gates) if gate.approval is not None]
        return keys

    def resolved_within_tolerance(self, targets: dict[str, Target], wave: int) -> bool:
        members = [t for t in targets.values() if t.wave == wave]
        failed = sum(1 for t in members if t.state is TargetState.FAILED)
        return all(t.resolved for t in members) and failed <= self.spec.waves[wave].tolerated_failures(len(members))

    def check(self, step: engine.Step, t: float, before: Run | None) -> None:
        if before is not None and (not before.state.active or before.state is RunState.PAUSED):
            assert step.dispatches == [], f"dispatched while {before.state}"
            assert step.happenings == [], f"{step.happenings} while {before.state}"
        for dispatch in step.dispatches:
            cluster = dispatch.change.cluster
            target = step.targets[cluster]
            if dispatch.restore:
                assert cluster not in self.restored, f"{cluster} restored twice"
                self.restored.add(cluster)
                assert self.targets[cluster].changed_by_run, f"{cluster} restored but never changed by the run"
                assert not self.restore_waves or target.wave <= self.restore_waves[-1], "rollback out of wave order"
                self.restore_waves.append(target.wave)
                continue
            # 1. only in its turn
            assert cluster not in self.dispatched_forward, f"{cluster} dispatched twice"
            self.dispatched_forward.add(cluster)
            assert target.wave >= 0
            for earlier in range(target.wave):
                assert self.resolved_within_tolerance(step.targets, earlier), (
                    f"{cluster} (wave {target.wave}) dispatched before wave {earlier} passed"
                )
            for key in self.gates_before(target.wave):
                assert key in self.approvals, f"{cluster} dispatched before approval {key}"
        # 2. concurrency: a dispatch never takes a wave past maxConcurrency clusters in flight (a resume
        # after a failure re-arms failed clusters, which already carry the release: nothing new is sent)
        forward = [d for d in step.dispatches if not d.restore]
        if forward:
            wave = step.targets[forward[0].change.cluster].wave
            members = [x for x in step.targets.values() if x.wave == wave]
            in_flight = sum(1 for x in members if x.state is TargetState.DISPATCHED)
            assert in_flight <= self.spec.waves[wave].concurrency(len(members)), f"{in_flight} in flight in wave {wave}"
        # 3. a pass is honest
        for cluster, target in step.targets.items():
            if target.state is TargetState.PASSED and self.targets[cluster].state is not TargetState.PASSED:
                assert target.generation is not None and target.dispatched_at is not None
                soak = self.spec.waves[target.wave].min_healthy.total_seconds()
                moments = [t - soak + k * 0.5 for k in range(int(soak * 2) + 1)] + [t]
                for moment in moments:
                    assert self.world.truly_healthy(cluster, moment, target.generation, REVISION), (
                        f"{cluster} passed at {t} but was not healthy at {moment} (soak {soak}s)"
                    )
            if target.restore is RestoreState.RESTORED and self.targets[cluster].restore is not RestoreState.RESTORED:
                assert target.restore_generation is not None
                facts = self.world.facts(cluster, t)
                assert facts is not None and facts.observed_generation >= target.restore_generation
                if target.baseline is None:
                    assert facts.removed
                else:
                    assert self.world.truly_healthy(cluster, t, target.restore_generation, target.baseline)

    def check_finished(self) -> None:
        if self.run.state is RunState.SUCCEEDED:
            for wave in range(len(self.spec.waves)):
                assert self.resolved_within_tolerance(self.targets, wave)
        if self.run.state is RunState.ROLLED_BACK:
            changed = {c for c, t in self.targets.items() if t.changed_by_run}
            assert changed == self.restored
            assert all(self.targets[c].restore is RestoreState.RESTORED for c in changed)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_the_invariants_hold_whatever_the_fleet_does(scenario: dict[str, Any]) -> None:
    Simulation(scenario).play()


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_a_step_taken_twice_changes_nothing_more(scenario: dict[str, Any]) -> None:
    """Restart safety: the driver may evaluate the same stored state again (a hub killed after its
    commit and before it knew): the second evaluation at the same moment sends and records nothing."""
    simulation = Simulation(scenario)
    step = engine.advance(simulation.run, simulation.spec, simulation.targets, simulation.observations(0), set(), at(0))
    simulation.apply(step, 0, simulation.run)
    again = engine.advance(
        simulation.run, simulation.spec, simulation.targets, simulation.observations(0), set(), at(0)
    )
    assert again.dispatches == []
    assert again.happenings == []
    assert again.run == simulation.run
    assert again.targets == simulation.targets


def test_the_simulation_reaches_every_ending() -> None:
    """The properties above are only as good as the runs they see: every final state occurs."""
    seen: set[RunState] = set()

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(scenarios())
    def collect(scenario: dict[str, Any]) -> None:
        simulation = Simulation(scenario)
        simulation.play()
        seen.add(simulation.run.state)

    collect()
    assert {RunState.SUCCEEDED, RunState.FAILED, RunState.ROLLED_BACK, RunState.PAUSED} <= seen
