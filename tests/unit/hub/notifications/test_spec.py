"""Checking a subscription: every problem named at once, a secret made when none is given, and URLs
shown without the part that is often a secret."""

from __future__ import annotations

import pytest

from hub.notifications.spec import (
    Format,
    SubscriptionError,
    SubscriptionIn,
    check_subscription,
    redacted_url,
    url_problem,
)


def test_a_good_subscription_is_normalized_and_gets_a_secret() -> None:
    checked = check_subscription(
        SubscriptionIn(
            url=" https://hooks.example.com/fleet ",
            events=["rollout.*", "cluster.unreachable", "rollout.*"],
            applications=["web", "shop-*"],
            selector="env in (prod), region",
            format=Format.SLACK,
        )
    )
    assert checked.url == "https://hooks.example.com/fleet"
    assert checked.events == ["cluster.unreachable", "rollout.*"]
    assert checked.applications == ["shop-*", "web"]
    assert checked.selector == "env in (prod),region"
    assert checked.generated_secret and len(checked.secret) >= 40
    given = check_subscription(SubscriptionIn(url="http://127.0.0.1:9000/x", events=["*"], secret="s" * 16))
    assert (given.secret, given.generated_secret) == ("s" * 16, False)


def test_every_problem_is_named() -> None:
    with pytest.raises(SubscriptionError) as raised:
        check_subscription(
            SubscriptionIn(
                url="ftp://example.com",
                events=["rollout.exploded"],
                applications=["Web_App"],
                selector="env=(",
                secret="short",
            )
        )
    problems = raised.value.problems
    assert len(problems) == 5
    assert problems[0] == "url 'ftp://example.com' must start with http:// or https://"
    assert problems[1].startswith("events: event pattern 'rollout.exploded' matches no event type")
    assert problems[2].startswith("applications: 'Web_App' is neither an application name nor a glob")
    assert problems[3].startswith("selector: ")
    assert problems[4].startswith("secret: must be at least 16 characters")
    with pytest.raises(SubscriptionError, match="name at least one event type"):
        check_subscription(SubscriptionIn(url="https://x.example", events=[]))


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://hooks.example.com/x", None),
        ("http://127.0.0.1:8080/hook", None),
        ("hooks.example.com/x", "must start with http:// or https://"),
        ("https:///path", "has no host"),
        ("https://user:pw@example.com/", "must not carry a user or password"),
        ("http://example.com:port/", "cannot be read"),
    ],
)
def test_urls(url: str, problem: str | None) -> None:
    found = url_problem(url)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_urls_are_shown_without_their_secret_part() -> None:
    assert (
        redacted_url("https://hooks.slack.com/services/T000/B000/XXXXSECRET") == "https://hooks.slack.com/services/***"
    )
    assert redacted_url("https://example.com/hook?token=abc") == "https://example.com/hook/***"
    assert redacted_url("http://127.0.0.1:9000/hook") == "http://127.0.0.1:9000/hook"
    assert redacted_url("https://example.com") == "https://example.com"


def test_control_characters_are_refused_before_anything_else() -> None:
    with pytest.raises(SubscriptionError) as raised:
        check_subscription(
            SubscriptionIn(url="https://x.example/\x00", events=["*"], description="two\nlines", secret="s\x7f" * 10)
        )
    assert raised.value.problems == [
        "url: must not contain control characters",
        "secret: must not contain control characters",
        "description: must not contain control characters",
    ]
