"""Hooks and tests are left out of what a fleet applies, and named."""

from __future__ import annotations

import pytest

from hub.charts.errors import RenderError
from hub.charts.renderer import split_hooks


def test_hooks_are_left_out_and_named_in_order() -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
    migrate = {
        "kind": "Job",
        "metadata": {"name": "migrate", "annotations": {"helm.sh/hook": "pre-install,pre-upgrade"}},
    }
    test_pod = {"kind": "Pod", "metadata": {"name": "web-test", "annotations": {"helm.sh/hook": "test"}}}
    other = {"kind": "ConfigMap", "metadata": {"name": "c", "annotations": {"note": "x"}}}
    rendering = split_hooks([deployment, migrate, other, test_pod], "web-1.0.0")
    assert rendering.objects == [deployment, other]
    assert rendering.skipped_hooks == ["Job/migrate (pre-install,pre-upgrade)", "Pod/web-test (test)"]


def test_a_document_that_is_not_an_object_names_the_chart() -> None:
    with pytest.raises(RenderError, match=r"^chart web-1\.0\.0: rendered a document that is not an object"):
        split_hooks(["just text"], "web-1.0.0")


def test_clusters_with_the_same_input_share_one_render() -> None:
    from hub.charts.renderer import ClusterInput, distinct_inputs

    inputs = {
        "c1": ClusterInput({"a": 1, "b": {"x": "eu"}}, "v1.36.3"),
        "c2": ClusterInput({"b": {"x": "us"}, "a": 1}, "v1.36.3"),
        "c3": ClusterInput({"b": {"x": "eu"}, "a": 1}, "v1.36.3"),  # c1's values in another order
        "c4": ClusterInput({"a": 1, "b": {"x": "eu"}}, "v1.35.0"),  # c1's values, another Kubernetes
        "c5": ClusterInput({"a": 1, "b": {"x": "eu"}}, None),
    }
    groups = distinct_inputs(inputs)
    assert [clusters for _, clusters in groups] == [["c1", "c3"], ["c2"], ["c4"], ["c5"]]
    assert groups[0][0] == inputs["c1"]
    assert distinct_inputs({}) == []
