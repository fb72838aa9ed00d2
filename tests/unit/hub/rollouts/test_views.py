"""What `rollout status` shows, from the engine's states: wave states, gates, clusters and what the run
waits for, in words."""

from __future__ import annotations

from hub.rollouts import engine
from hub.rollouts.model import GateKey, Phase, Run
from hub.rollouts.views import ApprovalOut, RolloutOut, RunRecord, rollout_view
from tests.unit.hub.rollouts.builders import T0, Driver, at, planned, strategy

THREE = {"staging": {"env": "staging"}, "canary": {"env": "canary"}, "prod": {"env": "prod"}}
RECORD = RunRecord("careful", 1, T0, "dana", T0, None, None, None)


def view(driver: Driver, seconds: float, approvals: list[ApprovalOut] | None = None) -> RolloutOut:
    return rollout_view(
        driver.run,
        RECORD,
        driver.spec,
        list(driver.targets.values()),
        driver.observations,
        approvals or [],
        at(seconds),
    )


def waves(out: RolloutOut) -> dict[str, str]:
    return {w.name: w.state for w in out.waves}


def careful() -> Driver:
    spec = strategy(
        [
            {"name": "staging", "selector": "env=staging", "minHealthy": "60s"},
            {"name": "canary", "selector": "env=canary"},
            {"name": "prod", "selector": "env=prod", "before": [{"approval": {"role": "approver"}}]},
        ]
    )
    return Driver(spec, planned(spec, THREE))


def test_a_soaking_cluster_shows_the_time_left() -> None:
    driver = careful()
    driver.step(at(0))
    driver.healthy("staging", since=at(10))
    out = view(driver, 30)
    assert waves(out) == {"staging": "in progress", "canary": "pending", "prod": "pending"}
    staging = out.clusters[0]
    assert (staging.state, staging.progress, staging.detail) == ("dispatched", "healthy", "healthy, 40s of soak left")
    assert staging.healthy_since == at(10)
    assert out.waiting_for == "wave staging: 1 healthy; staging: healthy, 40s of soak left"
    assert out.wave == "staging"


def test_an_open_approval_gate_says_who_must_approve_and_since_when() -> None:
    driver = careful()
    driver.step(at(0))
    driver.healthy("staging", since=at(1))
    driver.step(at(61))
    driver.healthy("canary", since=at(62))
    driver.step(at(62))
    out = view(driver, 182)
    assert out.waiting_for == "approval by role approver before wave prod (requested 2m ago)"
    assert out.waves[2].gates[0].state == "open"
    assert waves(out) == {"staging": "passed", "canary": "passed", "prod": "in progress"}

    key, _ = engine.approve(driver.run, driver.spec, lambda role: True)
    driver.approvals.add(key)
    driver.step(at(183))
    approval = ApprovalOut(
        wave="prod",
        phase="before",
        gate=0,
        revision=7,
        digest="d",
        actor="alice",
        role="approver",
        decided_at=at(183),
        comment=None,
    )
    out = view(driver, 183, [approval])
    assert (out.waves[2].gates[0].state, out.waves[2].gates[0].approved_by) == ("passed", "alice")
    assert key == GateKey(2, Phase.BEFORE, 0)


def test_a_rollback_shows_which_waves_it_restores_and_leaves_untouched_waves_pending() -> None:
    driver = careful()
    driver.step(at(0))
    driver.healthy("staging", since=at(1))
    driver.step(at(61))
    step = engine.rollback(driver.run, driver.spec, driver.targets, driver.observations, "asked by dana", at(62))
    driver.run, driver.targets = step.run, step.targets
    for dispatch in step.dispatches:
        driver.sent[dispatch.change.cluster] = dispatch.change.generation
    out = view(driver, 62)
    assert waves(out) == {"staging": "to restore", "canary": "restoring", "prod": "pending"}
    assert out.waiting_for == "wave canary to be back on its baseline: canary"


def test_a_paused_run_waits_for_an_operator_and_a_finished_one_for_nothing() -> None:
    driver = careful()
    driver.step(at(0))
    driver.run = engine.pause(driver.run, "pause by dana: looking")
    assert view(driver, 1).waiting_for == "an operator: paused (pause by dana: looking); resume, abort or roll back"
    finished: Run = engine.abort(driver.run, "abort by dana")
    driver.run = finished
    out = view(driver, 2)
    assert out.waiting_for is None and out.wave is None and out.reason == "abort by dana"
