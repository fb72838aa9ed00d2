"""Which subscriptions an event goes to: its type against the patterns, its time against the
subscription's, the applications and clusters it concerns against the globs and the selector."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.notifications.events import EVENT_TYPES, Event, pattern_matches, pattern_problem, summary
from hub.notifications.matching import Subject, matches, needs_applications, needs_clusters
from hub.notifications.spec import Rule, rule

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PROD = {"env": "prod", "region": "eu"}
STAGING = {"env": "staging", "region": "eu"}


def subscription(
    events: list[str], applications: list[str] | None = None, selector: str = "", created: datetime = T0
) -> Rule:
    return rule(1, events, applications or [], selector, created)


def event(kind: str = "rollout.paused", *, at: datetime = T0, **fields: object) -> Event:
    return Event(id=1, type=kind, time=at, actor="system:rollouts", **fields)  # type: ignore[arg-type]


def test_patterns_are_types_or_globs_of_them() -> None:
    assert pattern_problem("rollout.*") is None
    assert pattern_problem("*") is None
    assert pattern_problem("cluster.unreachable") is None
    assert "matches no event type" in (pattern_problem("rollout.exploded") or "")
    assert "matches no event type" in (pattern_problem("notification.test") or "")  # never subscribed to
    assert pattern_problem("") is not None
    assert pattern_matches(("rollout.*",), "rollout.approval-requested")
    assert not pattern_matches(("rollout.*",), "cluster.unreachable")
    assert not pattern_matches(("release.created",), "rollout.started")


def test_the_event_types_include_everything_the_issue_asks_for() -> None:
    wanted = {
        "rollout.approval-requested",
        "rollout.started",
        "rollout.wave-passed",
        "rollout.cluster-failed",
        "rollout.paused",
        "rollout.failed",
        "rollout.rolled-back",
        "rollout.succeeded",
        "campaign.finished",
        "cluster.unreachable",
    }
    assert wanted <= set(EVENT_TYPES)


def test_type_and_time_decide_first() -> None:
    rule_ = subscription(["rollout.paused"], created=T0)
    assert matches(rule_, event("rollout.paused"), Subject())
    assert not matches(rule_, event("rollout.resumed"), Subject())
    # what happened before the subscription was made is not sent to it
    assert not matches(rule_, event(at=T0 - timedelta(seconds=1)), Subject())


@pytest.mark.parametrize(
    ("globs", "applications", "expected"),
    [
        (["web"], {"web"}, True),
        (["shop-*"], {"shop-cart"}, True),
        (["shop-*"], {"web"}, False),
        (["web", "api"], {"api"}, True),
        (["web"], set(), False),  # an event about no application (a campaign with none)
        ([], set(), True),  # no globs: any
        (["shop-?"], {"shop-a", "x"}, True),  # one concerned application is enough
    ],
)
def test_application_globs(globs: list[str], applications: set[str], expected: bool) -> None:
    rule_ = subscription(["rollout.*"], applications=globs)
    assert matches(rule_, event(), Subject(frozenset(applications))) is expected


@pytest.mark.parametrize(
    ("selector", "clusters", "expected"),
    [
        ("env=prod", {"c1": PROD}, True),
        ("env=prod", {"c1": STAGING}, False),
        ("env=prod", {"c1": STAGING, "c2": PROD}, True),  # a wave with one production cluster
        ("env=prod", {}, False),  # an event about no cluster never matches a selector
        ("", {}, True),
        ("region=eu,env!=prod", {"c1": STAGING}, True),
    ],
)
def test_cluster_selector(selector: str, clusters: dict[str, dict[str, str]], expected: bool) -> None:
    rule_ = subscription(["rollout.*"], selector=selector)
    assert matches(rule_, event(), Subject(clusters=clusters)) is expected


def test_the_notifier_looks_up_only_what_some_subscription_asks_about() -> None:
    plain, by_app, by_cluster = subscription(["*"]), subscription(["*"], ["web"]), subscription(["*"], [], "env")
    assert not needs_applications([plain, by_cluster]) and needs_applications([plain, by_app])
    assert not needs_clusters([plain, by_app]) and needs_clusters([by_cluster])


def test_summaries_say_what_happened_in_a_line() -> None:
    approval = event(
        "rollout.approval-requested",
        application="web",
        revision=3,
        details={"wave": "prod", "phase": "before", "gate": 0, "role": "approver"},
    )
    assert summary(approval) == "web revision 3: approval by role approver needed before wave prod"
    failed = event("rollout.cluster-failed", application="web", revision=3, cluster="edge-7", reason="deadline")
    assert summary(failed) == "web revision 3: cluster edge-7 failed: deadline"
    paused = Event(1, "rollout.paused", T0, "dana", application="web", revision=3, reason="looks odd")
    assert summary(paused) == "web revision 3: rollout paused by dana: looks odd"
    started = event(
        "rollout.started",
        application="web",
        revision=3,
        strategy="careful",
        details={"waves": ["a", "b"], "clusters": 4},
    )
    assert summary(started) == "web revision 3: rollout started (strategy careful, waves a, b, 4 cluster(s))"
    campaign = event(
        "campaign.finished",
        details={
            "campaign": 12,
            "image": "nginx",
            "to": "1.27.4",
            "applications": ["web", "api"],
            "vulnerable_clusters": 0,
        },
    )
    assert summary(campaign) == "campaign 12 finished: nginx -> 1.27.4 on web, api; 0 cluster(s) still vulnerable"
    gone = event("cluster.unreachable", cluster="edge-7", details={"silent_for": "45s"})
    assert summary(gone) == "cluster edge-7 unreachable: no heartbeat for 45s"
    back = event("cluster.reachable", cluster="edge-7", details={"unreachable_for": "2m"})
    assert summary(back) == "cluster edge-7 reachable again after 2m"
    for kind in EVENT_TYPES:  # every type has a readable line, whatever its details
        assert summary(event(kind, application="web", cluster="c1"))
