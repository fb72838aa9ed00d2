"""Drift policies as given in a PUT: parsed, checked (a bad path names its rule), stored."""

from __future__ import annotations

import pytest

from hub.drift.policy import PolicyError, loaded, parse_policy, stored
from hub.errors import Invalid
from hub.services.applications import parse_drift_policy
from schemas.v1.drift import DriftPolicy, IgnoreRule


def test_a_policy_parses_and_keeps_its_rules() -> None:
    policy = parse_policy(
        {"mode": "alert", "ignore": [{"kind": "Deployment", "paths": ["spec.replicas", 'metadata.labels["a/b"]']}]}
    )
    assert policy.mode == "alert"
    assert policy.ignore == [IgnoreRule(kind="Deployment", paths=["spec.replicas", 'metadata.labels["a/b"]'])]


def test_a_bad_path_is_refused_naming_the_rule_and_the_path() -> None:
    source = {
        "ignore": [
            {"kind": "Service", "paths": ["spec.ports"]},
            {"kind": "Deployment", "name": "web", "paths": ["spec.replicas", "spec..template"]},
        ]
    }
    with pytest.raises(PolicyError) as caught:
        parse_policy(source)
    message = str(caught.value)
    assert "ignore rule 2 (kind=Deployment,name=web)" in message
    assert "'spec..template'" in message
    assert "rule 1" not in message


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ({"mode": "fix"}, "mode"),
        ({"ignore": [{"kind": "Deployment"}]}, "paths"),
        ({"ignore": [{"paths": []}]}, "paths"),
        ({"ignore": [{"paths": [3]}]}, "is not a string"),
        ("alert", "is an object"),
    ],
)
def test_other_mistakes_are_named(source: object, problem: str) -> None:
    with pytest.raises(PolicyError, match=problem):
        parse_policy(source)


def test_the_put_turns_them_into_a_422_naming_the_application() -> None:
    with pytest.raises(Invalid, match=r"application web: drift policy: ignore rule 1: '\[': '\[' at position 0"):
        parse_drift_policy("web", {"ignore": [{"paths": ["["]}]})
    with pytest.raises(Invalid, match=r"ignore rule 1: path '': a field path has 1 to"):
        parse_drift_policy("web", {"ignore": [{"paths": [""]}]})


def test_the_default_policy_is_stored_as_nothing_and_loads_back() -> None:
    assert stored(DriftPolicy()) is None
    assert stored(parse_policy({})) is None
    assert loaded(None) == DriftPolicy()
    policy = parse_policy({"mode": "alert", "ignore": [{"kind": "Deployment", "paths": ["spec.replicas"]}]})
    assert stored(policy) == {"mode": "alert", "ignore": [{"kind": "Deployment", "paths": ["spec.replicas"]}]}
    assert loaded(stored(policy)) == policy
