"""Strategies as written (validation names the field) and the frozen plan: who goes in which wave."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from hub.placements import Placement
from hub.rollouts.model import NO_WAVE, TargetState
from hub.rollouts.plan import UNMATCHED_REASON, Candidate, candidates, ordered, plan_waves
from hub.rollouts.spec import Amount, StrategySpec
from hub.selectors import parse_selector
from tests.unit.hub.rollouts.builders import strategy

FLEET = {
    "stage-1": {"env": "staging"},
    "canary-1": {"env": "canary"},
    "prod-1": {"env": "prod"},
    "prod-2": {"env": "prod"},
    "prod-3": {"env": "prod"},
}


def waves_of(spec: StrategySpec, fleet: dict[str, dict[str, str]]) -> list[list[str]]:
    targets = plan_waves(spec, [Candidate(c, labels, "bundle", 1) for c, labels in fleet.items()])
    return [[t.cluster for t in targets if t.wave == index] for index in range(len(spec.waves))]


def test_a_full_strategy_reads_like_the_docs_and_round_trips() -> None:
    spec = strategy(
        [
            {"name": "staging", "selector": "env=staging", "minHealthy": "1m", "progressDeadline": "10m"},
            {"name": "canary", "selector": "env in (prod)", "limit": 1, "after": [{"wait": "1h"}]},
            {
                "name": "prod",
                "selector": "env=prod",
                "maxConcurrency": "50%",
                "maxFailures": 1,
                "before": [{"approval": {"role": "prod-approver"}}],
            },
        ],
        onFailure="rollback",
        sortLabel="fleetcast.io/order",
    )
    assert spec.waves[0].min_healthy == timedelta(minutes=1)
    assert spec.waves[1].after[0].wait == timedelta(hours=1)
    assert spec.waves[2].before[0].approval is not None
    assert spec.waves[2].before[0].approval.role == "prod-approver"
    dumped = spec.dump()
    assert dumped["waves"][2]["maxConcurrency"] == "50%"
    assert dumped["waves"][0]["minHealthy"] == "1m"
    assert dumped["onFailure"] == "rollback"
    assert StrategySpec.model_validate(dumped) == spec
    assert StrategySpec.model_validate(dumped).digest() == spec.digest()


@pytest.mark.parametrize(
    ("waves", "problem"),
    [
        ([], "at least 1"),
        ([{"name": "a"}, {"name": "a"}], "used twice"),
        ([{"name": "Prod"}], "DNS-1123"),
        ([{"name": "a", "maxConcurency": 1}], "maxConcurency"),
        ([{"name": "a", "selector": "env in ("}], "selector"),
        ([{"name": "a", "limit": "150%"}], "between 0% and 100%"),
        ([{"name": "a", "limit": 0}], "at least 1"),
        ([{"name": "a", "maxConcurrency": "lots"}], "not a count"),
        ([{"name": "a", "minHealthy": "soon"}], "invalid duration"),
        ([{"name": "a", "progressDeadline": "0s"}], "longer than 0s"),
        ([{"name": "a", "before": [{"approval": {}, "wait": "1m"}]}], "exactly one of"),
        ([{"name": "a", "before": [{}]}], "exactly one of"),
        ([{"name": "a", "before": [{"approval": {"role": "Approvers!"}}]}], "DNS-1123"),
    ],
)
def test_invalid_strategies_are_refused_naming_the_problem(waves: list[dict[str, object]], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        StrategySpec.model_validate({"waves": waves})


def test_amounts_round_up_for_sizes_and_down_for_tolerances() -> None:
    assert Amount(value=10, percent=True).at_least_one_of(3) == 1
    assert Amount(value=50, percent=True).at_least_one_of(3) == 2
    assert Amount(value=5).at_least_one_of(3) == 3
    assert Amount(value=10, percent=True).at_most_of(9) == 0
    assert Amount(value=50, percent=True).at_most_of(5) == 2
    assert Amount(value=10, percent=True).at_least_one_of(0) == 0


def test_waves_take_from_what_earlier_waves_left() -> None:
    spec = strategy(
        [
            {"name": "staging", "selector": "env=staging"},
            {"name": "canary", "selector": "env in (canary,prod)", "limit": 2},
            {"name": "prod"},
        ]
    )
    assert waves_of(spec, FLEET) == [["stage-1"], ["canary-1", "prod-1"], ["prod-2", "prod-3"]]


def test_a_percentage_limit_is_of_the_remaining_matching_clusters_rounded_up() -> None:
    spec = strategy([{"name": "first", "selector": "env=prod", "limit": "50%"}, {"name": "rest"}])
    assert waves_of(spec, FLEET) == [["prod-1", "prod-2"], ["canary-1", "prod-3", "stage-1"]]


def test_the_sort_label_orders_numerically_then_by_cluster_id() -> None:
    fleet = {
        "a": {"order": "10"},
        "b": {"order": "2"},
        "c": {},
        "d": {"order": "2"},
    }
    spec = strategy([{"name": "first", "limit": 2}, {"name": "rest"}], sortLabel="order")
    assert waves_of(spec, fleet) == [["b", "d"], ["a", "c"]]
    assert [c.cluster for c in ordered([Candidate(n, lbl, "bundle", None) for n, lbl in fleet.items()], None)] == [
        "a",
        "b",
        "c",
        "d",
    ]


def test_unmatched_clusters_are_skipped_visibly_or_join_the_last_wave() -> None:
    spec = strategy([{"name": "staging", "selector": "env=staging"}])
    targets = plan_waves(spec, [Candidate(c, labels, "bundle", 1) for c, labels in FLEET.items()])
    skipped = [t for t in targets if t.wave == NO_WAVE]
    assert {t.cluster for t in skipped} == {"canary-1", "prod-1", "prod-2", "prod-3"}
    assert all(t.state is TargetState.SKIPPED and t.reason == UNMATCHED_REASON for t in skipped)

    spec = strategy([{"name": "staging", "selector": "env=staging"}], unmatched="lastWave")
    assert waves_of(spec, FLEET) == [["stage-1", "canary-1", "prod-1", "prod-2", "prod-3"]]


def test_candidates_are_the_selected_clusters_and_those_losing_the_application() -> None:
    clusters = {"new": {"env": "prod"}, "running": {"env": "prod"}, "leaving": {"env": "dev"}, "never": {"env": "dev"}}
    placements = {
        "running": Placement("running", "web", 4, True, 3),
        "leaving": Placement("leaving", "web", 2, True, 3),
        "never": Placement("never", "web", 5, False, 3),
    }
    result = {c.cluster: c for c in candidates(parse_selector("env=prod"), clusters, placements, {"running": 2})}
    assert set(result) == {"new", "running", "leaving"}
    assert (result["new"].action, result["new"].baseline) == ("bundle", None)
    # the newest revision reported healthy, not merely the newest sent
    assert (result["running"].action, result["running"].baseline) == ("bundle", 2)
    # installed but never healthy: its baseline is what it has
    assert (result["leaving"].action, result["leaving"].baseline) == ("removal", 3)
