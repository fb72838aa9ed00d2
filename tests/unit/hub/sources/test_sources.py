"""Application sources: what a PUT makes of the current source, how releases store it, the namespaces
rendered objects get, and which per-cluster values apply to a cluster."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.charts.archive import chart, pack
from hub.sources.change import SourceChange, next_source, parse_change
from hub.sources.facts import ClusterFacts
from hub.sources.namespaces import with_namespace
from hub.sources.spec import (
    MANIFESTS,
    Source,
    SourceError,
    SourceKind,
    facts_digest,
    loaded,
    parse_cluster_values,
)

CHART = chart({"Chart.yaml": b"apiVersion: v2\nname: web\nversion: 1.0.0\n", "templates/cm.yaml": b"kind: ConfigMap\n"})
OTHER = chart({"Chart.yaml": b"apiVersion: v2\nname: web\nversion: 1.1.0\n", "templates/cm.yaml": b"kind: ConfigMap\n"})


def _archive(c: Any = CHART) -> dict[str, str]:
    return {"archive": base64.b64encode(pack(c)).decode()}


def test_a_chart_upload_parses_to_the_same_chart_whatever_its_packing() -> None:
    change = parse_change(chart=_archive(), values={"replicas": 2})
    assert change.chart is not None and change.chart.digest == CHART.digest
    assert change.values == {"replicas": 2}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"chart": {"archive": "not base64!"}}, "chart.archive is not base64"),
        ({"chart": {"archive": base64.b64encode(b"plain").decode()}}, "not a gzipped tar archive"),
        ({"chart": {"url": "x"}}, 'chart must be {"archive"'),
        ({"template": "Web_Service"}, "not a template name"),
        ({"namespace": "Bad NS"}, "not a namespace name"),
        ({"values": ["a"]}, "values must be an object"),
        ({"cluster_values": {"a": 1}}, "cluster_values must be a list"),
        ({"cluster_values": [{"selector": "env in (", "values": {}}]}, "cluster_values[0].selector"),
        ({"cluster_values": [{"selector": "", "values": 3}]}, "cluster_values[0].values must be an object"),
        ({"cluster_values": [{"selector": "", "valuse": {}}]}, "cluster_values[0] must be {selector, values}"),
    ],
)
def test_bad_source_fields_are_named(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(SourceError, match=message.replace("(", r"\(").replace("[", r"\[").replace("{", r"\{")):
        parse_change(**fields)


def test_one_of_manifests_chart_or_template() -> None:
    with pytest.raises(SourceError, match="not manifests and chart"):
        next_source(MANIFESTS, True, SourceChange(chart=CHART))
    with pytest.raises(SourceError, match="not chart and template"):
        next_source(MANIFESTS, False, SourceChange(chart=CHART, template="web"))


def test_values_belong_to_charts_and_templates() -> None:
    with pytest.raises(SourceError, match="apply to charts and templates"):
        next_source(MANIFESTS, True, SourceChange(values={"a": 1}))
    with pytest.raises(SourceError, match="give a chart or template"):
        next_source(MANIFESTS, False, SourceChange(values={"a": 1}))


def test_a_new_chart_version_keeps_the_values_and_a_template_starts_afresh() -> None:
    current = next_source(MANIFESTS, False, SourceChange(chart=CHART, values={"r": 1}, namespace="shop"))
    assert current.kind is SourceKind.CHART and current.chart == CHART.digest and current.namespace == "shop"
    upgraded = next_source(current, False, SourceChange(chart=OTHER))
    assert upgraded.chart == OTHER.digest and upgraded.values == {"r": 1} and upgraded.namespace == "shop"
    templated = next_source(current, False, SourceChange(template="web-service"))
    assert templated.kind is SourceKind.TEMPLATE and templated.values == {} and templated.namespace == "default"
    revalued = next_source(current, False, SourceChange(values={"r": 2}))
    assert revalued.chart == CHART.digest and revalued.values == {"r": 2}
    assert next_source(current, True, SourceChange()) == MANIFESTS


def test_a_source_is_stored_and_loaded_back_and_its_digest_covers_values_and_overrides() -> None:
    source = Source(
        SourceKind.CHART,
        chart=CHART.digest,
        values={"replicas": 2},
        cluster_values=parse_cluster_values([{"selector": "env=prod", "values": {"replicas": 5}}]),
        namespace="shop",
    )
    assert loaded(source.stored()) == source
    assert loaded(None) == MANIFESTS and MANIFESTS.stored() is None
    assert source.digest({}) == loaded(source.stored()).digest({})
    assert source.digest({}) != source.digest({"docker.io/library/nginx": "1.27.5"})
    assert source.digest({}) != Source(SourceKind.CHART, chart=CHART.digest, values={"replicas": 3}).digest({})


def test_per_cluster_values_apply_where_their_selector_matches_in_order() -> None:
    source = Source(
        SourceKind.CHART,
        chart=CHART.digest,
        cluster_values=parse_cluster_values(
            [
                {"selector": "env=prod", "values": {"replicas": 3}},
                {"selector": "region=eu", "values": {"replicas": 4}},
            ]
        ),
    )
    both = ClusterFacts("a", {"env": "prod", "region": "eu"})
    assert source.matching(both) == [{"replicas": 3}, {"replicas": 4}]
    assert source.matching(ClusterFacts("b", {"env": "dev"})) == []


def test_other_facts_other_rendering() -> None:
    a = ClusterFacts("a", {"env": "prod"}, "v1.34.1")
    assert facts_digest(a) == facts_digest(ClusterFacts("a", {"env": "prod"}, "v1.34.1"))
    assert facts_digest(a) != facts_digest(ClusterFacts("a", {"env": "dev"}, "v1.34.1"))
    assert facts_digest(a) != facts_digest(ClusterFacts("a", {"env": "prod"}, "v1.35.0"))


def _obj(api_version: str, kind: str, namespace: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "x"}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata}


def test_namespaced_objects_without_a_namespace_get_the_release_namespace() -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "names": {"kind": "Widget"}, "scope": "Cluster"},
    }
    objects = [
        _obj("apps/v1", "Deployment"),
        _obj("v1", "ConfigMap", "other"),
        _obj("v1", "Namespace"),
        _obj("rbac.authorization.k8s.io/v1", "ClusterRole"),
        crd,
        _obj("example.com/v1", "Widget"),
        _obj("example.com/v1", "Gadget"),
    ]
    out = with_namespace(objects, "shop")
    assert [o["metadata"].get("namespace") for o in out] == ["shop", "other", None, None, None, None, "shop"]
    assert "namespace" not in objects[0]["metadata"]  # the input is not modified


@given(st.lists(st.sampled_from(["Deployment", "Namespace", "ConfigMap", "ClusterRole"]), max_size=8))
def test_giving_namespaces_twice_changes_nothing_more(kinds: list[str]) -> None:
    objects = [_obj("v1" if k in ("Namespace", "ConfigMap") else "apps/v1", k) for k in kinds]
    once = with_namespace(objects, "ns")
    assert with_namespace(once, "ns") == once
