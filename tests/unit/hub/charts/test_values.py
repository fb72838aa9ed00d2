"""Values: Helm's merge of layers and the `${cluster...}` references, with properties checked by Hypothesis."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.charts.values import ValuesError, expand, for_cluster, merged, pruned, references
from hub.sources.facts import ClusterFacts

FACTS = ClusterFacts("cluster-2", {"region": "eu-west", "env": "prod"}, "v1.36.3")


# --- merge -----------------------------------------------------------------------------------------


def test_maps_merge_and_everything_else_replaces() -> None:
    base = {"image": {"repository": "nginx", "tag": "1.0"}, "hosts": ["a", "b"], "replicas": 2}
    overlay = {"image": {"tag": "2.0"}, "hosts": ["c"], "replicas": "3"}
    assert merged(base, overlay) == {"image": {"repository": "nginx", "tag": "2.0"}, "hosts": ["c"], "replicas": "3"}


def test_later_overlays_win() -> None:
    assert merged({"a": 1}, {"a": 2}, {"a": 3}) == {"a": 3}


def test_a_map_replaces_a_scalar_and_a_scalar_a_map() -> None:
    assert merged({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}
    assert merged({"a": {"b": 2}}, {"a": 1}) == {"a": 1}


def test_an_explicit_null_is_kept_for_helm_to_delete_the_default() -> None:
    # Helm's mergeMaps keeps the null; its coalescing with the chart's values.yaml then deletes the key.
    assert merged({"ingress": {"host": "x"}}, {"ingress": None}) == {"ingress": None}
    assert pruned(merged({"ingress": {"host": "x"}, "a": 1}, {"ingress": None})) == {"a": 1}


def test_pruned_drops_nulls_at_any_depth_in_maps_but_not_in_lists() -> None:
    assert pruned({"a": {"b": None, "c": 1}, "d": [None, 1], "e": None}) == {"a": {"c": 1}, "d": [None, 1]}


def test_merge_leaves_its_inputs_alone() -> None:
    base: dict[str, Any] = {"a": {"b": [1]}}
    overlay: dict[str, Any] = {"a": {"c": 2}}
    result = merged(base, overlay)
    result["a"]["b"].append(2)
    result["a"]["c"] = 3
    assert base == {"a": {"b": [1]}}
    assert overlay == {"a": {"c": 2}}


scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.lists(st.integers(), max_size=3)
any_values = st.recursive(
    scalars, lambda inner: st.dictionaries(st.sampled_from("abcd"), inner, max_size=4), max_leaves=12
)
value_maps = st.dictionaries(st.sampled_from("abcd"), any_values, max_size=4)


def _shaped(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    """Maps where a key names a map at every depth but the last, and a scalar there: layers that agree
    on their shape, where merging is associative (a scalar replacing a map, then a map replacing that
    scalar, is not, in Helm either)."""
    if depth == 0:
        return st.dictionaries(st.sampled_from("xyz"), scalars, max_size=3)
    return st.dictionaries(st.sampled_from("abc"), _shaped(depth - 1), max_size=3)


shaped = _shaped(2)


@given(value_maps)
def test_merging_nothing_is_the_identity(values: dict[str, Any]) -> None:
    assert merged(values) == values
    assert merged(values, {}) == values
    assert merged({}, values) == values


@given(shaped, shaped, shaped)
def test_merging_maps_of_one_shape_is_associative(a: dict[str, Any], b: dict[str, Any], c: dict[str, Any]) -> None:
    assert merged(merged(a, b), c) == merged(a, merged(b, c)) == merged(a, b, c)


@given(value_maps, value_maps)
def test_the_overlay_wins_on_every_key_it_sets(base: dict[str, Any], overlay: dict[str, Any]) -> None:
    result = merged(base, overlay)
    assert set(result) == set(base) | set(overlay)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            assert merged(base[key], value) == result[key]
        else:
            assert result[key] == value
    for key in set(base) - set(overlay):
        assert result[key] == base[key]


# --- expansion -------------------------------------------------------------------------------------


def test_references_are_replaced_inside_strings() -> None:
    values = {
        "ingress": {"host": "web.${cluster.labels.region}.example.com"},
        "config": {"cluster": "${cluster.name}", "k8s": "${cluster.kubernetesVersion}"},
        "hosts": ["${cluster.name}-a", 3, None, True],
    }
    assert expand(values, FACTS) == {
        "ingress": {"host": "web.eu-west.example.com"},
        "config": {"cluster": "cluster-2", "k8s": "v1.36.3"},
        "hosts": ["cluster-2-a", 3, None, True],
    }


def test_a_label_key_may_hold_dots_and_slashes() -> None:
    facts = ClusterFacts("c", {"topology.kubernetes.io/region": "eu"})
    assert expand({"r": "${cluster.labels.topology.kubernetes.io/region}"}, facts) == {"r": "eu"}


def test_a_string_that_is_exactly_a_reference_stays_a_string() -> None:
    facts = ClusterFacts("c", {"replicas": "3"})
    assert expand({"n": "${cluster.labels.replicas}"}, facts) == {"n": "3"}


def test_double_dollar_escapes_a_literal_reference() -> None:
    assert expand({"a": "$${cluster.name} is ${cluster.name}"}, FACTS) == {"a": "${cluster.name} is cluster-2"}


def test_other_dollar_braces_are_left_alone() -> None:
    script = 'echo "${HOME}" $PATH ${1:-x}'
    assert expand({"script": script}, FACTS) == {"script": script}


def test_map_keys_are_not_expanded() -> None:
    assert expand({"${cluster.name}": "x"}, FACTS) == {"${cluster.name}": "x"}


def test_a_missing_label_names_the_values_path_and_the_cluster() -> None:
    with pytest.raises(ValuesError) as caught:
        expand({"ingress": {"host": "${cluster.labels.zone}.example.com"}}, FACTS)
    assert str(caught.value) == "values.ingress.host: cluster cluster-2 has no label zone"
    assert caught.value.path == "values.ingress.host"


def test_an_unknown_reference_lists_the_known_ones() -> None:
    with pytest.raises(ValuesError, match=r"values\.hosts\[1\]: unknown reference \$\{cluster\.region\}; known: "):
        expand({"hosts": ["a", "${cluster.region}"]}, FACTS)


def test_an_unreported_kubernetes_version_is_an_error() -> None:
    with pytest.raises(ValuesError, match="cluster c has not reported its Kubernetes version yet"):
        expand({"v": "${cluster.kubernetesVersion}"}, ClusterFacts("c"))


@pytest.mark.parametrize("text", ["${cluster.name", "x ${cluster.", "${cluster.labels.}"])
def test_malformed_references_are_errors(text: str) -> None:
    with pytest.raises(ValuesError, match=r"^values\.a: "):
        expand({"a": text}, FACTS)


def test_the_root_of_paths_can_be_named() -> None:
    with pytest.raises(ValuesError, match=r"^clusterValues\[0\]\.values\.a: "):
        expand({"a": "${cluster.nope}"}, FACTS, root="clusterValues[0].values")


def test_references_lists_what_values_need() -> None:
    values = {
        "a": "${cluster.labels.region}-${cluster.name}",
        "b": ["$${cluster.labels.x}", {"c": "${cluster.labels.env}"}],
    }
    assert references(values) == {"labels.region", "name", "labels.env"}


label_values = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9_.-]{0,10}[A-Za-z0-9])?", fullmatch=True)
label_keys = st.sampled_from(["region", "env", "topology.kubernetes.io/zone"])
facts_strategy = st.builds(
    ClusterFacts,
    name=st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True),
    labels=st.dictionaries(label_keys, label_values, min_size=3, max_size=3),
    kubernetes_version=st.just("v1.36.3"),
)
pieces = st.sampled_from(
    [
        "${cluster.name}",
        "${cluster.labels.region}",
        "${cluster.labels.topology.kubernetes.io/zone}",
        "${cluster.kubernetesVersion}",
        "$",
        "{",
        "}",
        "${",
        "$${",
        "cluster.",
        "${HOME}",
        "a",
        " ",
    ]
)
texts = st.lists(pieces, max_size=8).map("".join)
text_values = st.recursive(
    texts | st.integers(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("ab"), inner, max_size=2),
    max_leaves=8,
)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@given(st.dictionaries(st.sampled_from("xyz"), text_values, max_size=3), facts_strategy)
def test_no_reference_is_left_unless_escaped(values: dict[str, Any], facts: ClusterFacts) -> None:
    try:
        result = expand(values, facts)
    except ValuesError:
        # Only an unterminated `${cluster.` can fail here: every known fact exists.
        assert any("${cluster." in s for s in _strings(values))
        return
    escaped = sum(s.count("$${cluster.") for s in _strings(values))
    left = sum(s.count("${cluster.") for s in _strings(result))
    assert left == escaped


@given(st.dictionaries(st.sampled_from("xyz"), text_values, max_size=3), facts_strategy)
def test_values_without_references_or_escapes_are_unchanged(values: dict[str, Any], facts: ClusterFacts) -> None:
    if any("${cluster." in s or "$${" in s for s in _strings(values)):
        return
    assert expand(values, facts) == values


def test_for_cluster_merges_expanded_layers_and_names_the_bad_one() -> None:
    values = {"host": "${cluster.name}.example.com", "replicas": 2}
    prod = {"replicas": 4, "zone": "${cluster.labels.region}"}
    assert for_cluster(FACTS, ("values", values), ("clusterValues[0].values", prod)) == {
        "host": "cluster-2.example.com",
        "replicas": 4,
        "zone": "eu-west",
    }
    with pytest.raises(ValuesError, match=r"^clusterValues\[1\]\.values\.x: cluster cluster-2 has no label zone$"):
        for_cluster(
            FACTS,
            ("values", values),
            ("clusterValues[0].values", prod),
            ("clusterValues[1].values", {"x": "${cluster.labels.zone}"}),
        )


@given(
    st.dictionaries(st.sampled_from("xyz"), text_values, max_size=3),
    st.dictionaries(st.sampled_from("xyz"), text_values, max_size=3),
)
def test_expanding_then_merging_is_merging_then_expanding(a: dict[str, Any], b: dict[str, Any]) -> None:
    facts = ClusterFacts("c", {"region": "r", "env": "e", "topology.kubernetes.io/zone": "z"}, "v1.36.3")
    try:
        layered = for_cluster(facts, ("values", a), ("overlay", b))
    except ValuesError:
        # Stricter than merging first: a bad reference is refused even where a later layer overrides it.
        return
    assert layered == expand(merged(a, b), facts)
