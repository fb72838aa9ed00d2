"""The rollout engine, scenario by scenario: waves in order, soak, deadlines, silence, rejection, gates,
failure policies, rollback, membership changes and operator controls."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hub.rollouts import engine
from hub.rollouts.model import GateKey, Phase, RestoreState, RunState, TargetState
from schemas.v1 import Health
from tests.unit.hub.rollouts.builders import REVISION, Driver, at, planned, reporting, silent, strategy

THREE = {"staging": {"env": "staging"}, "canary": {"env": "canary"}, "prod": {"env": "prod"}}


def three_waves(**wave: object) -> list[dict[str, object]]:
    return [{"name": env, "selector": f"env={env}", **wave} for env in ("staging", "canary", "prod")]


def actions(step: engine.Step) -> list[str]:
    return [h.action for h in step.happenings]


def test_waves_go_in_order_and_the_next_starts_in_the_step_the_previous_passes() -> None:
    spec = strategy(three_waves(minHealthy="30s"))
    driver = Driver(spec, planned(spec, THREE))

    step = driver.step(at(0))
    assert driver.run.state is RunState.RUNNING
    assert driver.dispatched(step) == ["staging"]
    assert actions(step)[:3] == ["rollout.started", "rollout.wave-started", "rollout.dispatched"]
    assert driver.state("canary") == driver.state("prod") == "pending"
    assert step.wake_at == at(600)  # the deadline: nothing else can change it without a report

    driver.healthy("staging", since=at(5))
    step = driver.step(at(5))
    assert step.dispatches == []
    assert step.wake_at == at(35)  # the soak ends

    step = driver.step(at(35))
    assert driver.state("staging") == "passed"
    assert driver.dispatched(step) == ["canary"]
    assert "rollout.wave-passed" in actions(step)

    driver.healthy("canary", since=at(40))
    driver.step(at(70))
    driver.healthy("prod", since=at(71))
    step = driver.step(at(101))
    assert driver.run.state is RunState.SUCCEEDED
    assert driver.run.reason == "3 cluster(s) passed"
    assert step.wake_at is None
    assert actions(step)[-1] == "rollout.succeeded"


def test_a_report_from_before_the_dispatch_never_counts() -> None:
    spec = strategy(three_waves())
    driver = Driver(spec, planned(spec, THREE))
    driver.observations["staging"] = reporting(3, revision=REVISION - 1)  # healthy on the old release
    driver.step(at(0))
    generation = driver.sent["staging"]
    assert generation == 4
    # still the old report: never passes, whatever the time, until the deadline fails it
    driver.observations["staging"] = replace(reporting(3, revision=REVISION - 1), generation=4)
    driver.step(at(300))
    assert driver.state("staging") == "dispatched"
    driver.step(at(600))
    assert driver.state("staging") == "failed"
    assert driver.targets["staging"].reason == "not healthy within 10m: no report since the dispatch yet"
    assert driver.run.state is RunState.PAUSED


def test_the_soak_restarts_whenever_health_breaks() -> None:
    spec = strategy(three_waves(minHealthy="60s"))
    driver = Driver(spec, planned(spec, THREE))
    driver.step(at(0))
    driver.healthy("staging", since=at(10))
    assert driver.step(at(50)).wake_at == at(70)
    # Progressing for a while, then Ready again: the soak counts from the second Ready
    driver.observations["staging"] = reporting(driver.sent["staging"], health=Health.PROGRESSING, since=at(55))
    driver.step(at(60))
    driver.healthy("staging", since=at(65))
    driver.step(at(70))
    assert driver.state("staging") == "dispatched"
    driver.step(at(125))
    assert driver.state("staging") == "passed"


def test_silence_is_never_a_pass_and_a_gap_in_heartbeats_restarts_the_soak() -> None:
    spec = strategy(three_waves(minHealthy="60s", progressDeadline="5m"))
    driver = Driver(spec, planned(spec, THREE))
    driver.step(at(0))
    generation = driver.sent["staging"]
    # Ready, but heartbeats stopped: not a pass at the end of the soak
    driver.observations["staging"] = reporting(generation, since=at(5), reachable=False)
    driver.step(at(65))
    assert driver.state("staging") == "dispatched"
    # heartbeats resumed at 100 after a gap: the soak counts from there, not from the report
    driver.observations["staging"] = reporting(generation, since=at(5), reachable_since=at(100))
    assert driver.step(at(120)).wake_at == at(160)
    driver.step(at(160))
    assert driver.state("staging") == "passed"


def test_a_silent_cluster_fails_at_its_deadline() -> None:
    spec = strategy(three_waves(progressDeadline="2m"))
    driver = Driver(spec, planned(spec, THREE))
    driver.step(at(0))
    driver.observations["staging"] = replace(driver.observations["staging"], reachable=False)
    driver.step(at(119))
    assert driver.state("staging") == "dispatched"
    step = driver.step(at(120))
    assert driver.state("staging") == "failed"
    assert "unreachable (last heartbeat 2m ago)" in (driver.targets["staging"].reason or "")
    assert driver.run.state is RunState.PAUSED
    assert driver.run.paused_by_failure
    assert "rollout.paused" in actions(step)
    assert driver.state("canary") == "pending"


def test_a_release_the_cluster_rejects_fails_at_once() -> None:
    spec = strategy(three_waves())
    driver = Driver(spec, planned(spec, THREE))
    driver.step(at(0))
    driver.observations["staging"] = reporting(
        driver.sent["staging"], health=Health.DEGRADED, errors=("Deployment/web/web: 422 spec.replicas",), since=at(3)
    )
    driver.step(at(3))
    assert driver.state("staging") == "failed"
    assert (
        driver.targets["staging"].reason == "rejected by the cluster: Degraded: Deployment/web/web: 422 spec.replicas"
    )


def test_max_concurrency_bounds_clusters_in_flight_and_max_failures_is_tolerated() -> None:
    fleet = {f"prod-{i}": {"env": "prod"} for i in range(1, 5)}
    spec = strategy([{"name": "prod", "maxConcurrency": 2, "maxFailures": 1, "progressDeadline": "1m"}])
    driver = Driver(spec, planned(spec, fleet))
    assert driver.dispatched(driver.step(at(0))) == ["prod-1", "prod-2"]
    driver.healthy("prod-1", since=at(1))
    assert driver.dispatched(driver.step(at(1))) == ["prod-3"]
    # prod-2 never becomes healthy: its failure is within tolerance, the wave goes on
    assert driver.dispatched(driver.step(at(60))) == ["prod-4"]
    assert driver.state("prod-2") == "failed"
    driver.healthy("prod-3", since=at(61))
    driver.healthy("prod-4", since=at(61))
    driver.step(at(61))
    assert driver.run.state is RunState.SUCCEEDED
    assert driver.run.reason == "3 cluster(s) passed, 1 failed within tolerance"


def test_an_approval_gate_waits_for_someone_with_the_role() -> None:
    spec = strategy(
        [
            {"name": "staging", "selector": "env=staging"},
            {"name": "prod", "selector": "env in (canary,prod)", "before": [{"approval": {"role": "approver"}}]},
        ]
    )
    driver = Driver(spec, planned(spec, THREE))
    driver.step(at(0))
    driver.healthy("staging", since=at(1))
    step = driver.step(at(2))
    assert driver.run.state is RunState.WAITING_FOR_APPROVAL
    assert "rollout.approval-requested" in actions(step)
    assert step.dispatches == []
    assert step.wake_at is None

    with pytest.raises(engine.NotAllowed, match="needs role approver"):
        engine.approve(driver.run, spec, lambda role: role == "deployer")
    with pytest.raises(engine.ControlError, match="waits for approval of wave prod, not staging"):
        engine.approve(driver.run, spec, lambda role: True, wave="staging")
    key, role = engine.approve(driver.run, spec, lambda role: role == "approver", wave="prod")
    assert (key, role) == (GateKey(1, Phase.BEFORE, 0), "approver")

    driver.approvals.add(key)
    step = driver.step(at(3))
    assert driver.run.state is RunState.RUNNING
    assert sorted(driver.dispatched(step)) == ["canary", "prod"]


def test_a_timed_wait_after_a_wave_holds_the_next_one() -> None:
    spec = strategy([{"name": "staging", "selector": "env=staging", "after": [{"wait": "1h"}]}, {"name": "rest"}])
    driver = Driver(spec, planned(spec, THREE))
    driver.step(at(0))
    driver.healthy("staging", since=at(1))
    step = driver.step(at(2))
    assert step.wake_at == at(3602)
    assert "rollout.wait-started" in actions(step)
    assert driver.step(at(3601)).dispatches == []
    assert sorted(driver.dispatched(driver.step(at(3602)))) == ["canary", "prod"]


def test_on_failure_abort_ends_the_run_and_leaves_the_clusters_as_they_are() -> None:
    spec = strategy(three_waves(progressDeadline="1m"), onFailure="abort")
    driver = Driver(spec, planned(spec, THREE))
    driver.step(at(0))
    step = driver.step(at(60))
    assert driver.run.state is RunState.FAILED
    assert step.dispatches == []
    assert driver.run.reason is not None and driver.run.reason.startswith("wave staging: 1 of 1 cluster(s) failed")


def test_on_failure_rollback_restores_every_changed_wave_backwards() -> None:
    spec = strategy(three_waves(progressDeadline="1m"), onFailure="rollback")
    targets = planned(spec, THREE)
    targets["canary"] = replace(targets["canary"], baseline=None)  # it had no version before this run
    driver = Driver(spec, targets)
    driver.step(at(0))
    driver.healthy("staging", since=at(1))
    driver.step(at(1))
    # canary never gets healthy: the rollback starts with canary (removal: it had nothing), then staging
    step = driver.step(at(61))
    assert driver.run.state is RunState.ROLLING_BACK
    assert [(d.change.cluster, d.change.kind, d.restore) for d in step.dispatches] == [("canary", "removal", True)]
    driver.observations["canary"] = reporting(driver.sent["canary"], removed=True, health=Health.MISSING)
    step = driver.step(at(62))
    assert [(d.change.cluster, d.change.kind, d.change.revision) for d in step.dispatches] == [
        ("staging", "bundle", REVISION - 1)
    ]
    assert driver.targets["canary"].restore is RestoreState.RESTORED
    driver.healthy("staging", since=at(63), revision=REVISION - 1)
    step = driver.step(at(63))
    assert driver.run.state is RunState.ROLLED_BACK
    assert driver.run.reason == "baseline healthy again on 2 cluster(s)"
    assert driver.targets["prod"].restore is None and driver.state("prod") == "pending"


def test_a_restore_that_does_not_become_healthy_leaves_the_run_failed() -> None:
    spec = strategy(three_waves(progressDeadline="1m"))
    driver = Driver(spec, planned(spec, THREE))
    driver.step(at(0))
    step = engine.rollback(driver.run, spec, driver.targets, driver.observations, "asked by alice", at(5))
    driver.run, driver.targets = step.run, step.targets
    driver.sent["staging"] = step.dispatches[0].change.generation
    driver.observations["staging"] = replace(driver.observations["staging"], generation=driver.sent["staging"])
    driver.step(at(65))
    assert driver.run.state is RunState.FAILED
    assert driver.run.reason is not None and driver.run.reason.startswith("rollback incomplete: staging: not healthy")


def test_resume_after_a_failed_wave_judges_the_failed_clusters_again() -> None:
    spec = strategy(three_waves(progressDeadline="1m"))
    driver = Driver(spec, planned(spec, THREE))
    driver.step(at(0))
    driver.step(at(60))
    assert driver.run.state is RunState.PAUSED
    run, rearmed = engine.resume(driver.run, driver.targets, at(100))
    assert rearmed["staging"].state is TargetState.DISPATCHED and rearmed["staging"].dispatched_at == at(100)
    driver.run, driver.targets = run, {**driver.targets, **rearmed}
    driver.healthy("staging", since=at(110))
    driver.step(at(110))
    assert driver.state("staging") == "passed"
    assert driver.state("canary") == "dispatched"


def test_a_paused_run_moves_nothing_and_a_finished_one_takes_no_controls() -> None:
    spec = strategy(three_waves())
    driver = Driver(spec, planned(spec, THREE))
    driver.step(at(0))
    driver.run = engine.pause(driver.run, "paused by alice")
    driver.healthy("staging", since=at(1))
    step = driver.step(at(2))
    assert step.dispatches == [] and step.happenings == [] and driver.state("staging") == "dispatched"
    with pytest.raises(engine.ControlError, match="only a running run can be paused"):
        engine.pause(driver.run, "again")
    aborted = engine.abort(driver.run, "aborted by alice")
    assert aborted.state is RunState.ABORTED
    with pytest.raises(engine.ControlError, match="already finished"):
        engine.abort(aborted, "again")
    with pytest.raises(engine.ControlError, match="only a paused run"):
        engine.resume(aborted, driver.targets, at(3))
    with pytest.raises(engine.ControlError, match="nothing is waiting for approval"):
        engine.approve(aborted, spec, lambda role: True)
    assert engine.supersede(driver.run, "superseded by run 2").state is RunState.SUPERSEDED


def test_clusters_that_leave_the_run_are_skipped_with_the_reason() -> None:
    fleet = {"a": {"env": "prod"}, "b": {"env": "prod"}, "c": {"env": "prod"}}
    spec = strategy([{"name": "prod", "maxConcurrency": 1}])
    driver = Driver(spec, planned(spec, fleet))
    driver.step(at(0))
    driver.observations["a"] = replace(driver.observations["a"], selected=False)
    driver.observations["b"] = silent(registered=False)
    step = driver.step(at(1))
    assert driver.targets["a"].reason == "cluster left the release's selector"
    assert driver.targets["b"].reason == "cluster deregistered"
    assert driver.dispatched(step) == ["c"]
    driver.healthy("c", since=at(2))
    driver.step(at(2))
    assert driver.run.state is RunState.SUCCEEDED
    assert driver.run.reason == "1 cluster(s) passed, 2 skipped"


def test_a_later_change_to_a_cluster_takes_it_out_of_the_run() -> None:
    spec = strategy([{"name": "all"}])
    driver = Driver(spec, planned(spec, {"a": {}}))
    driver.step(at(0))
    driver.observations["a"] = replace(driver.observations["a"], generation=driver.sent["a"] + 1)
    driver.step(at(1))
    assert driver.targets["a"].reason == "a later change to the cluster replaced this dispatch"


def test_an_empty_wave_still_holds_its_gates() -> None:
    spec = strategy(
        [
            {"name": "canary", "selector": "env=nowhere", "after": [{"approval": {}}]},
            {"name": "all"},
        ]
    )
    driver = Driver(spec, planned(spec, THREE))
    step = driver.step(at(0))
    assert step.dispatches == []
    assert driver.run.state is RunState.WAITING_FOR_APPROVAL
    driver.approvals.add(GateKey(0, Phase.AFTER, 0))
    assert len(driver.step(at(1)).dispatches) == 3


def test_a_removal_passes_once_the_cluster_reports_it_removed() -> None:
    spec = strategy([{"name": "all"}])
    targets = planned(spec, {"a": {}})
    targets["a"] = replace(targets["a"], action="removal")
    driver = Driver(spec, targets)
    driver.observations["a"] = replace(silent(4), selected=False)
    step = driver.step(at(0))
    assert [(d.change.kind, d.change.generation) for d in step.dispatches] == [("removal", 5)]
    driver.observations["a"] = replace(
        reporting(5, removed=True, health=Health.MISSING, revision=REVISION - 1), selected=False
    )
    driver.step(at(1))
    assert driver.run.state is RunState.SUCCEEDED


def test_a_run_without_clusters_succeeds_at_once() -> None:
    spec = strategy([{"name": "all"}])
    driver = Driver(spec, {})
    driver.step(at(0))
    assert driver.run.state is RunState.SUCCEEDED
