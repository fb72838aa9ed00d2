from __future__ import annotations

from typing import Any

import pytest

from hub.campaigns.plan import Candidate, Target, plan_fix
from hub.campaigns.progress import ApplicationProgress, CampaignState, campaign_verdict
from hub.images.tags import parse_version, version_key
from hub.rollouts.model import RunState
from tests.unit.hub.fixes.test_overrides import DIGEST, cronjob, deployment

pytestmark = pytest.mark.unit

NGINX = "docker.io/library/nginx"


def target(tag: str) -> Target:
    return Target(tag, None, parse_version(tag))


def candidate(name: str, *manifests: dict[str, Any], strategy: str | None = None) -> Candidate:
    return Candidate(name, list(manifests), strategy)


def test_only_applications_below_the_version_are_fixed_keeping_their_variant() -> None:
    plan = plan_fix(
        [
            candidate("web", deployment("nginx:1.27.3"), strategy="waves"),
            candidate("edge", cronjob("nginx:1.25.0-alpine")),
            candidate("fresh", deployment("nginx:1.27.10")),
            candidate("other", deployment("redis:7.0")),
        ],
        NGINX,
        target("1.27.4"),
        version_key("1.27.4"),
    )
    assert [(f.application, f.found, f.override.value, f.strategy) for f in plan.fixes] == [
        ("edge", ["nginx:1.25.0-alpine"], "1.27.4-alpine", None),
        ("web", ["nginx:1.27.3"], "1.27.4", "waves"),
    ]
    assert plan.current == ["fresh"]
    assert plan.skipped == []


def test_the_campaign_strategy_overrides_the_applications() -> None:
    plan = plan_fix(
        [candidate("web", deployment("nginx:1.2"), strategy="waves")],
        NGINX,
        target("1.3"),
        version_key("1.3"),
        "all-prod",
    )
    assert plan.fixes[0].strategy == "all-prod"


def test_references_that_cannot_be_ordered_are_never_guessed() -> None:
    plan = plan_fix(
        [
            candidate("latest", deployment("nginx:latest")),
            candidate("pinned", deployment(f"nginx@{DIGEST}")),
            candidate("mixed", deployment("nginx:1.0", "nginx:stable")),
        ],
        NGINX,
        target("1.27.4"),
        version_key("1.27.4"),
    )
    assert plan.fixes == []
    assert sorted(s.application for s in plan.skipped) == ["latest", "mixed", "pinned"]
    assert all("never guessed" in s.reason for s in plan.skipped)


def test_an_application_that_also_runs_a_newer_version_is_not_moved_back() -> None:
    plan = plan_fix(
        [candidate("both", deployment("nginx:1.20", "nginx:1.28"))], NGINX, target("1.27.4"), version_key("1.27.4")
    )
    assert plan.fixes == [] and plan.skipped[0].references == ["nginx:1.28"]


def test_a_digest_target_is_used_as_given() -> None:
    plan = plan_fix(
        [candidate("web", deployment("nginx:1.2-alpine"))], NGINX, Target(None, DIGEST, None), version_key("1.3")
    )
    assert plan.fixes[0].override.value == DIGEST


def progress(name: str, state: RunState | None, desired: bool = False) -> ApplicationProgress:
    return ApplicationProgress(name, state, desired)


def test_a_campaign_succeeds_only_when_no_cluster_reports_the_vulnerable_version() -> None:
    done = [progress("a", RunState.SUCCEEDED), progress("b", None)]
    assert campaign_verdict(done, 0).state is CampaignState.SUCCEEDED
    assert campaign_verdict(done, 2).state is CampaignState.RUNNING
    assert campaign_verdict([progress("a", RunState.RUNNING)], 0).state is CampaignState.RUNNING


def test_a_rollout_that_ended_without_the_fix_stalls_the_campaign_until_the_fleet_is_clean() -> None:
    stalled = campaign_verdict(
        [progress("a", RunState.ROLLED_BACK, desired=True), progress("b", RunState.SUCCEEDED)], 3
    )
    assert stalled.state is CampaignState.STALLED and "a" in stalled.reason
    fixed_by_hand = campaign_verdict([progress("a", RunState.ROLLED_BACK, desired=False)], 0)
    assert fixed_by_hand.state is CampaignState.SUCCEEDED
