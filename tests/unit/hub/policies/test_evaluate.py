"""Policies judged on rendered objects per cluster: scope, findings, errors that never pass, order."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.policies.evaluate import Finding, FindingOut, denied, describe_object, evaluate, warnings
from hub.policies.spec import Action, Policy, parse_spec
from hub.sources.facts import ClusterFacts

pytestmark = pytest.mark.unit

PROD = ClusterFacts("prod-1", {"env": "prod"})
DEV = ClusterFacts("dev-1", {"env": "dev"})


def deployment(name: str, replicas: Any = 1, namespace: str | None = "shop", **extra: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata,
            "spec": {"replicas": replicas, **extra}}  # fmt: skip


def policy(name: str = "replicas", action: str = "deny", match: dict[str, Any] | None = None, **v: str) -> Policy:
    validation = {"expression": v.get("expression", "object.spec.replicas >= 2"), "message": "at least two"}
    return parse_spec(name, {"action": action, "match": match or {}, "validations": [validation]})


def test_false_is_a_finding_with_the_message_and_action() -> None:
    findings = evaluate([policy(action="warn")], [(PROD, [deployment("web"), deployment("api", 3)])])
    assert findings == [Finding("prod-1", "apps/Deployment shop/web", "replicas", 0, Action.WARN, "at least two")]
    assert findings[0].describe() == "policy replicas, cluster prod-1, apps/Deployment shop/web: at least two"
    assert FindingOut.of(findings[0]).model_dump(mode="json") == {
        "policy": "replicas", "action": "warn", "cluster": "prod-1",
        "object": "apps/Deployment shop/web", "message": "at least two",
    }  # fmt: skip
    assert warnings(findings) == findings and denied(findings) == []


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("object.spec.missing >= 2", "no such key: missing"),
        ("object.metadata.name > 2", "No such overload"),
        ("object.spec.replicas", "gave 1 (int), not true or false"),
        ("object.metadata.name.split('-')[3] == 'x'", "evaluation error"),
    ],
)
def test_an_evaluation_error_is_a_deny_never_a_pass(expression: str, problem: str) -> None:
    [finding] = evaluate([policy(action="warn", expression=expression)], [(PROD, [deployment("web")])])
    assert finding.action is Action.DENY
    assert finding.message.startswith("evaluation error: ")
    assert problem in finding.message


def test_scope_by_kind_group_namespace_and_cluster() -> None:
    objects = [
        deployment("web"),
        deployment("other", namespace="kube-system"),
        deployment("plain", namespace=None),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"}},
        {"apiVersion": "example.com/v1", "kind": "Deployment", "metadata": {"name": "x", "namespace": "shop"},
         "spec": {"replicas": 0}},
    ]  # fmt: skip
    everything = evaluate([policy(expression="object.spec.replicas >= 2")], [(PROD, objects[:3] + objects[4:])])
    assert [f.object for f in everything] == [
        "apps/Deployment kube-system/other",
        "apps/Deployment plain",
        "apps/Deployment shop/web",
        "example.com/Deployment shop/x",
    ]
    scoped = policy(match={"kinds": ["apps/Deployment"], "namespaces": ["shop"], "clusterSelector": "env=prod"})
    assert [f.object for f in evaluate([scoped], [(PROD, objects)])] == ["apps/Deployment shop/web"]
    assert evaluate([scoped], [(DEV, objects)]) == []
    any_group = policy(match={"kinds": ["Deployment"], "namespaces": ["shop"]})
    assert [f.object for f in evaluate([any_group], [(DEV, objects)])] == [
        "apps/Deployment shop/web",
        "example.com/Deployment shop/x",
    ]
    core = policy(match={"kinds": ["core/ConfigMap"]}, expression="object.metadata.name == 'd'")
    assert [f.object for f in evaluate([core], [(DEV, objects)])] == ["ConfigMap shop/c"]


def test_cluster_is_a_variable() -> None:
    prod_only_two = policy(expression="cluster.labels['env'] != 'prod' || object.spec.replicas >= 2")
    findings = evaluate([prod_only_two], [(DEV, [deployment("web")]), (PROD, [deployment("web")])])
    assert [f.cluster for f in findings] == ["prod-1"]
    named = policy(expression="cluster.name.startsWith('dev')")
    assert [f.cluster for f in evaluate([named], [(DEV, [deployment("a")]), (PROD, [deployment("a")])])] == ["prod-1"]


def test_order_is_deterministic_whatever_the_input_order() -> None:
    policies = [policy("b"), policy("a", action="warn")]
    targets = [(PROD, [deployment("web"), deployment("api")]), (DEV, [deployment("web")])]
    first = evaluate(policies, targets)
    again = evaluate(list(reversed(policies)), [(t[0], list(reversed(t[1]))) for t in reversed(targets)])
    assert first == again
    assert [(f.cluster, f.object, f.policy) for f in first] == [
        ("dev-1", "apps/Deployment shop/web", "a"),
        ("dev-1", "apps/Deployment shop/web", "b"),
        ("prod-1", "apps/Deployment shop/api", "a"),
        ("prod-1", "apps/Deployment shop/api", "b"),
        ("prod-1", "apps/Deployment shop/web", "a"),
        ("prod-1", "apps/Deployment shop/web", "b"),
    ]


def test_objects_that_are_not_well_formed_are_described_anyway() -> None:
    assert describe_object({"kind": "Thing"}) == "Thing "
    [finding] = evaluate([policy(expression="object.spec.replicas >= 2")], [(PROD, [{"kind": "Deployment"}])])
    assert finding.action is Action.DENY


# -- properties ------------------------------------------------------------------------------------

values = st.one_of(st.integers(-3, 5), st.text(max_size=3), st.none(), st.booleans(), st.just([1]), st.just({}))
objects = st.builds(
    lambda name, replicas: deployment(name, replicas),
    st.text("abcdefghij", min_size=1, max_size=4),
    values,
)
POLICIES = [
    policy("two", expression="object.spec.replicas >= 2"),
    policy("named", action="warn", expression="object.metadata.name.startsWith('a')"),
    policy("strict", expression="object.spec.replicas == 3 && object.spec.other == 1"),
]


@settings(max_examples=150, deadline=None)
@given(st.lists(objects, max_size=5), st.lists(objects, max_size=5))
def test_more_objects_never_make_fewer_findings(some: list[dict[str, Any]], more: list[dict[str, Any]]) -> None:
    before = evaluate(POLICIES, [(PROD, some)])
    after = evaluate(POLICIES, [(PROD, some + more)])
    assert len(after) >= len(before)
    assert set(before) <= set(after)


RAISING = [
    "object.spec.other == 1",  # never there
    "object.spec.other.deeper",
    "int(object.metadata.name) > 0",  # names are letters
    "object.metadata.name > 0",
    "object.metadata.labels.size() > 0",
    "object.metadata.name.split('-')[1] == 'x'",
    "object.spec",  # not a bool
]


@settings(max_examples=150, deadline=None)
@given(st.lists(objects, min_size=1, max_size=5), st.sampled_from(["warn", "deny"]), st.sampled_from(RAISING))
def test_an_expression_that_raises_never_passes(batch: list[dict[str, Any]], action: str, expression: str) -> None:
    raising = policy("raising", action=action, expression=expression)
    findings = evaluate([raising], [(PROD, batch)])
    assert {f.object for f in findings} == {describe_object(o) for o in batch}
    assert all(f.action is Action.DENY and f.message.startswith("evaluation error") for f in findings)


def test_the_release_path_refuses_every_deny_at_once_or_keeps_the_warnings() -> None:
    from hub.errors import Invalid
    from hub.policies.service import refuse_denied

    warn_only = evaluate([policy("w", action="warn")], [(PROD, [deployment("web")])])
    assert refuse_denied(warn_only) == warn_only
    findings = evaluate(
        [policy("w", action="warn"), policy("d")], [(PROD, [deployment("web")]), (DEV, [deployment("web")])]
    )
    with pytest.raises(Invalid) as caught:
        refuse_denied(findings)
    assert caught.value.errors == [
        "policy d, cluster dev-1, apps/Deployment shop/web: at least two",
        "policy d, cluster prod-1, apps/Deployment shop/web: at least two",
    ]
    assert caught.value.message == "refused by policy: " + "; ".join(caught.value.errors)
