"""Policies parsed from their spec or document: normalized, compiled, every problem named at once."""

from __future__ import annotations

import pytest

from hub.policies.expressions import CompileError, compile_expression
from hub.policies.spec import Action, KindRef, PolicyError, parse_document, parse_spec

pytestmark = pytest.mark.unit

VALID = {"expression": "has(object.metadata)", "message": "has metadata"}


def test_a_spec_is_parsed_normalized_and_compiled() -> None:
    policy = parse_spec(
        "replicas",
        {
            "description": "two or more",
            "action": "warn",
            "match": {
                "kinds": ["apps/Deployment", "Pod", "core/Service", "Pod"],
                "namespaces": ["shop", "api"],
                "clusterSelector": {"matchLabels": {"env": "prod"}},
            },
            "validations": [{"expression": "object.spec.replicas >= 2", "message": "at least two"}],
        },
    )
    assert policy.action is Action.WARN
    assert policy.match.kinds == (KindRef(None, "Pod"), KindRef("apps", "Deployment"), KindRef("", "Service"))
    assert policy.match.namespaces == ("api", "shop")
    assert str(policy.match.cluster_selector) == "env=prod"
    assert policy.validations[0].program is compile_expression("object.spec.replicas >= 2")
    assert policy.spec.dump() == {
        "description": "two or more",
        "action": "warn",
        "match": {"kinds": ["Pod", "apps/Deployment", "core/Service"], "namespaces": ["api", "shop"],
                  "clusterSelector": "env=prod"},
        "validations": [{"expression": "object.spec.replicas >= 2", "message": "at least two"}],
    }  # fmt: skip


def test_two_spellings_of_one_policy_dump_the_same() -> None:
    a = parse_spec("p", {"action": "deny", "match": {"clusterSelector": "env=prod"}, "validations": [VALID]})
    b = parse_spec(
        "p", {"action": "deny", "match": {"cluster_selector": {"matchLabels": {"env": "prod"}}}, "validations": [VALID]}
    )
    assert a.spec.dump() == b.spec.dump()


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_spec(
            "Bad_Name",
            {
                "action": "block",
                "match": {"kinds": ["deployment"], "namespaces": ["Not OK"], "clusterSelector": "env in ("},
                "validations": [
                    {"expression": "object.spec.(", "message": "m"},
                    VALID,
                    {"expression": "objct.spec.x", "message": "m"},
                    {"expression": "object.spec.frob()", "message": "m"},
                ],
                "extra": 1,
            },
        )
    problems = caught.value.problems
    assert all(p.startswith("policy Bad_Name: ") for p in problems)
    text = "\n".join(problems)
    assert "not a DNS-1123 label" in text
    assert "action: Input should be 'deny' or 'warn'" in text
    assert "match.kinds: 'deployment'" in text
    assert "match.namespaces: 'Not OK'" in text
    assert "match.clusterSelector: invalid selector" in text
    assert "validations[0].expression: " in text and "Syntax error" in text
    assert "validations[2].expression: unknown variable(s) objct" in text
    assert "validations[3].expression: unknown function(s) frob" in text
    assert "extra: Extra inputs are not permitted" in text
    assert "validations[1]" not in text


def test_a_policy_needs_a_validation() -> None:
    with pytest.raises(PolicyError, match=r"policy p: validations: List should have at least 1 item"):
        parse_spec("p", {"action": "deny", "validations": []})


def test_names_bound_by_macros_are_variables_too() -> None:
    compile_expression("object.spec.containers.all(c, c.image != '') && object.metadata.labels.exists(k, k == 'a')")
    compile_expression("object.spec.containers.exists_one(c, c.name.split('-').size() > 1)")
    with pytest.raises(CompileError, match="unknown variable"):
        compile_expression("object.spec.containers.all(c, d.image != '')")
    with pytest.raises(CompileError, match="empty"):
        compile_expression("  ")


def test_documents() -> None:
    document = {"apiVersion": "fleetcast.dev/v1", "kind": "Policy", "metadata": {"name": "p"},
                "spec": {"action": "deny", "validations": [VALID]}}  # fmt: skip
    assert parse_document(document).name == "p"
    with pytest.raises(PolicyError, match=r"policy f\.yaml: kind is 'Strategy', expected Policy"):
        parse_document({**document, "kind": "Strategy"}, "f.yaml")
    with pytest.raises(PolicyError, match="apiVersion is 'v1'"):
        parse_document({**document, "apiVersion": "v1"}, "f.yaml")
    with pytest.raises(PolicyError, match=r"metadata\.name is missing"):
        parse_document({**document, "metadata": {}}, "f.yaml")
    with pytest.raises(PolicyError, match="policy p: validations: Field required"):
        parse_document({**document, "spec": {"action": "deny"}})


def test_a_long_parse_error_is_bounded() -> None:
    with pytest.raises(CompileError) as caught:
        compile_expression("object.spec.x == " + "(" * 3000)
    assert len(str(caught.value)) <= 1000 and str(caught.value).endswith("...")
