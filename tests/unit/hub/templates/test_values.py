"""An operator's values checked against a template (every problem at once, naming the parameter and what
is allowed), and the values one cluster renders with."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hub.selectors import parse_selector
from hub.sources.facts import ClusterFacts
from hub.templates.paths import leaf_paths, overlaps, value_at
from hub.templates.spec import TemplateSpec, parse_template
from hub.templates.values import check_expanded, check_values, merged, values_for, without_locked
from tests.unit.hub.templates.conftest import web_service_body

IMAGE = {"image": "registry.example.com/web:1.0"}


def test_good_values_pass(web_service: TemplateSpec) -> None:
    assert check_values(web_service, {**IMAGE, "size": "large", "replicas": 10}) == []
    prod = [(parse_selector("env=prod"), {"replicas": 5, "resources": {"cpu": "2"}})]
    assert check_values(web_service, IMAGE, prod) == []


def test_each_problem_names_the_parameter_and_what_is_allowed(web_service: TemplateSpec) -> None:
    problems = check_values(web_service, {"size": "huge", "replicas": 40, "image": "nginx"})
    assert problems == [
        "parameter image: 'nginx' does not match ^registry\\.example\\.com/",
        "parameter replicas: 40 is above the maximum 10",
        "parameter size: 'huge' is not allowed; allowed values: small, medium, large",
    ]
    assert check_values(web_service, {"replicas": 0}) == [
        "parameter image is required",
        "parameter replicas: 0 is below the minimum 1",
    ]
    assert check_values(web_service, {**IMAGE, "replicas": "three", "colour": "red"}) == [
        "parameter colour is not a parameter of template web-service "
        "(parameters: size, replicas, image, memory, resources)",
        "parameter replicas: 'three' is not of type integer",
    ]


def test_a_locked_value_is_refused_with_what_is_locked(web_service: TemplateSpec) -> None:
    assert check_values(web_service, {**IMAGE, "securityContext": {"runAsNonRoot": False}}) == [
        "parameter securityContext.runAsNonRoot is locked by template web-service (value: true)",
    ]
    problems = check_values(web_service, {**IMAGE, "securityContext": {}})
    assert problems == ['parameter securityContext is locked by template web-service (value: {"runAsNonRoot":true})']


def test_only_what_touches_a_locked_value_is_set_aside() -> None:
    locked = {"a": {"b": 1}, "c": 2}
    assert without_locked({"a": {"b": 0, "x": 1}, "c": 3, "d": 4}, locked) == {"a": {"x": 1}, "d": 4}
    assert without_locked({"a": 5}, locked) == {}


def test_per_cluster_values_only_where_the_template_allows(web_service: TemplateSpec) -> None:
    cluster_values = [
        (parse_selector("env=prod"), {"memory": "1Gi", "replicas": 4}),
        (parse_selector("env=dev"), {"replicas": 11}),
        (parse_selector("env=qa"), {"securityContext": {"runAsNonRoot": False}}),
    ]
    assert check_values(web_service, IMAGE, cluster_values) == [
        "clusterValues[0] (env=prod): parameter memory may not be overridden per cluster; "
        "template web-service allows: replicas, resources.cpu",
        "clusterValues[1] (env=dev): parameter replicas: 11 is above the maximum 10",
        "clusterValues[2] (env=qa): parameter securityContext.runAsNonRoot is locked by template web-service "
        "(value: true)",
        "clusterValues[2] (env=qa): parameter securityContext.runAsNonRoot may not be overridden per cluster; "
        "template web-service allows: replicas, resources.cpu",
    ]


def test_an_operators_problem_is_reported_once_not_per_cluster(web_service: TemplateSpec) -> None:
    cluster_values = [(parse_selector("env=prod"), {"replicas": 3})]
    assert check_values(web_service, {}, cluster_values) == ["parameter image is required"]


def test_values_for_layers_in_order(web_service: TemplateSpec) -> None:
    prod = ClusterFacts("p1", {"env": "prod"})
    dev = ClusterFacts("d1", {"env": "dev"})
    operator_clusters = [(parse_selector("region=eu"), {"replicas": 7})]
    assert values_for(web_service, IMAGE, operator_clusters, dev) == {
        "size": "small",
        "replicas": 2,
        "memory": "256Mi",
        **IMAGE,
        "securityContext": {"runAsNonRoot": True},
    }
    # the template's clusterValues for prod, then the operator's values win over them
    assert values_for(web_service, IMAGE, [], prod)["replicas"] == 3
    assert values_for(web_service, {**IMAGE, "replicas": 5}, [], prod)["replicas"] == 5
    eu_prod = ClusterFacts("p2", {"env": "prod", "region": "eu"})
    assert values_for(web_service, {**IMAGE, "replicas": 5}, operator_clusters, eu_prod)["replicas"] == 7


def test_merged_merges_objects_and_replaces_the_rest() -> None:
    assert merged({"a": {"b": 1, "c": [1]}, "d": 1}, {"a": {"c": [2]}}, {"d": None}) == {
        "a": {"b": 1, "c": [2]},
        "d": None,
    }


keys = st.sampled_from(["a", "b", "c", "securityContext", "replicas"])
leaves = st.one_of(st.integers(), st.text(max_size=3), st.booleans(), st.none(), st.lists(st.integers(), max_size=2))
values_trees = st.recursive(leaves, lambda inner: st.dictionaries(keys, inner, max_size=3), max_leaves=8)
value_objects = st.dictionaries(keys, values_trees, max_size=4)
label_sets = st.dictionaries(st.sampled_from(["env", "region"]), st.sampled_from(["prod", "dev", "eu"]), max_size=2)
selectors = st.sampled_from(["env=prod", "env=dev", "region=eu", "!env", "env in (prod,dev)"]).map(parse_selector)
cluster_values_lists = st.lists(st.tuples(selectors, value_objects), max_size=3)


def template(defaults: dict[str, Any], locked: dict[str, Any], own: list[Any]) -> TemplateSpec:
    spec = parse_template("t", web_service_body(parameters={"type": "object"}, values={}, cluster_overridable=[]))
    return TemplateSpec(
        name="t",
        description="",
        parameters={"type": "object"},
        values=defaults,
        locked=locked,
        cluster_overridable=[],
        cluster_values=own,
        source=spec.source,
    )


@given(value_objects, value_objects, cluster_values_lists, value_objects, cluster_values_lists, label_sets)
def test_locked_always_wins(
    defaults: dict[str, Any],
    locked: dict[str, Any],
    own: list[Any],
    values: dict[str, Any],
    cluster_values: list[Any],
    labels: dict[str, str],
) -> None:
    result = values_for(template(defaults, locked, own), values, cluster_values, ClusterFacts("c", labels))
    for path in leaf_paths(locked):
        fixed = value_at(locked, path)
        # An empty object fixes nothing: merged into an object, it leaves the object as it is.
        if fixed != {}:
            assert value_at(result, path) == fixed


@given(value_objects, value_objects, cluster_values_lists, value_objects, cluster_values_lists)
def test_a_cluster_no_selector_matches_gets_the_values_without_per_cluster_ones(
    defaults: dict[str, Any],
    locked: dict[str, Any],
    own: list[Any],
    values: dict[str, Any],
    cluster_values: list[Any],
) -> None:
    # Labels no selector above matches: env set to a value none names, region set to one none names.
    facts = ClusterFacts("c", {"env": "other", "region": "us"})
    spec = template(defaults, locked, own)
    assert values_for(spec, values, cluster_values, facts) == merged(defaults, values, locked)


def test_placeholders_are_judged_once_expanded_per_cluster(web_service: TemplateSpec) -> None:
    values = {**IMAGE, "size": "${cluster.labels.size}"}
    assert check_values(web_service, values) == []
    facts = ClusterFacts("edge-1", {"size": "huge"})
    rendered = values_for(web_service, {**values, "size": facts.labels["size"]}, [], facts)
    assert check_expanded(web_service, rendered, "edge-1") == [
        "cluster edge-1: parameter size: 'huge' is not allowed; allowed values: small, medium, large"
    ]
    fine = values_for(web_service, {**IMAGE, "size": "large"}, [], facts)
    assert check_expanded(web_service, fine, "edge-1") == []


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.sampled_from(["size", "replicas", "image", "securityContext", "x"]), json_values, max_size=5))
def test_any_values_get_an_answer_and_every_locked_one_is_named(values: dict[str, Any]) -> None:
    spec = parse_template("web-service", web_service_body())
    problems = check_values(spec, values, [(parse_selector("env=prod"), values)])
    assert all(isinstance(p, str) and p for p in problems)
    touches_locked = any(overlaps(g, f) for g in leaf_paths(values) for f in leaf_paths(spec.locked))
    assert touches_locked == any("is locked by template web-service" in p for p in problems)
    if not problems:
        assert "securityContext" not in values and "x" not in values


def test_a_reference_only_some_values_reach_is_the_templates_fault_said_so() -> None:
    parameters = {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}
    spec = parse_template("t", web_service_body(parameters=parameters, values={}, cluster_overridable=[]))
    assert check_values(spec, {}) == []
    [problem] = check_values(spec, {"a": 1})
    assert problem.startswith("template t: its parameter schema cannot check these values")
