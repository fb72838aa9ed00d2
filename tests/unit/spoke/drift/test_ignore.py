"""Ignore rules: which objects they match, and which fields are left out of a re-apply."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given

from schemas.v1 import ObjectRef
from schemas.v1.drift import FieldPath, IgnoreRule, parse_path
from spoke.drift.ignore import ignored_paths, matches, respect_ignored, strip
from tests.unit.spoke.drift.strategies import paths

REF = ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace="shop")


def manifest() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web", "tier": "front"}},
        "spec": {
            "replicas": 3,
            "template": {
                "spec": {
                    "containers": [
                        {"name": "web", "image": "nginx:1", "args": ["a", "b", "c"]},
                        {"name": "sidecar", "image": "envoy:1"},
                    ],
                    "finalizers": ["example.com/x", "example.com/y"],
                }
            },
        },
    }


def test_rules_match_by_kind_group_namespace_and_name() -> None:
    assert matches(IgnoreRule(paths=["spec"]), REF)
    assert matches(IgnoreRule(kind="Deployment", api_group="apps", namespace="shop", name="web", paths=["spec"]), REF)
    assert not matches(IgnoreRule(api_group="", paths=["spec"]), REF)
    assert not matches(IgnoreRule(namespace="other", paths=["spec"]), REF)
    assert not matches(IgnoreRule(name="api", paths=["spec"]), REF)
    rules = [IgnoreRule(kind="Deployment", paths=["spec.replicas"]), IgnoreRule(kind="Service", paths=["spec"])]
    assert ignored_paths(rules, REF) == [parse_path("spec.replicas")]


def test_strip_removes_map_fields_keyed_items_set_items_and_positions() -> None:
    original = manifest()
    stripped = strip(
        original,
        [
            parse_path("spec.replicas"),
            parse_path("metadata.labels.tier"),
            parse_path("spec.template.spec.containers[name=web].image"),
            parse_path("spec.template.spec.containers[name=sidecar]"),
            parse_path('spec.template.spec.finalizers[="example.com/x"]'),
            parse_path("spec.template.spec.containers[name=web].args[0]"),
            parse_path("spec.template.spec.containers[name=web].args[2]"),
            parse_path("spec.not.there"),
        ],
    )
    assert original == manifest()  # a copy: the input is untouched
    assert "replicas" not in stripped["spec"]
    assert stripped["metadata"]["labels"] == {"app": "web"}
    assert stripped["spec"]["template"]["spec"]["containers"] == [{"name": "web", "args": ["b"]}]
    assert stripped["spec"]["template"]["spec"]["finalizers"] == ["example.com/y"]


@given(paths)
def test_strip_never_touches_its_input_and_stripping_nothing_changes_nothing(path: FieldPath) -> None:
    original = manifest()
    kept = copy.deepcopy(original)
    strip(original, [path])
    assert original == kept
    assert strip(original, []) == kept


def live(*entries: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        **manifest(),
        "metadata": {
            **manifest()["metadata"],
            "managedFields": [
                {"manager": m, "operation": "Apply" if m == "fleetcast" else "Update", "fieldsV1": f}
                for m, f in entries
            ],
        },
    }


OURS: dict[str, Any] = {
    "f:metadata": {"f:labels": {".": {}, "f:app": {}, "f:tier": {}}},
    "f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"web"}': {".": {}, "f:name": {}}}}}},
}


def test_a_replicas_field_the_hpa_took_over_is_not_re_applied() -> None:
    obj = live(("fleetcast", OURS), ("horizontal-pod-autoscaler", {"f:spec": {"f:replicas": {}}}))
    applied = respect_ignored(manifest(), obj, [parse_path("spec.replicas")])
    assert "replicas" not in applied["spec"]
    # Not ignored: sent as it is, whoever owns it.
    assert respect_ignored(manifest(), obj, [parse_path("spec.paused")]) == manifest()
    # Nothing live: created whole.
    assert respect_ignored(manifest(), None, [parse_path("spec.replicas")]) == manifest()


def test_an_ignored_field_only_we_own_is_still_sent() -> None:
    obj = live(("fleetcast", {**OURS, "f:spec": {**OURS["f:spec"], "f:replicas": {}}}))
    assert respect_ignored(manifest(), obj, [parse_path("spec.replicas")]) == manifest()


def test_shared_maps_items_and_merge_keys_are_never_left_out() -> None:
    theirs = {
        "f:metadata": {"f:name": {}, "f:labels": {".": {}, "f:tier": {}}},
        "f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"web"}': {".": {}, "f:name": {}}}}}},
    }
    obj = live(("fleetcast", OURS), ("other-applier", theirs))
    applied = respect_ignored(manifest(), obj, [parse_path("metadata"), parse_path("spec.template")])
    # Only the label they share with us goes; the labels map, our container and its name stay.
    assert applied["metadata"] == {"name": "web", "namespace": "shop", "labels": {"app": "web"}}
    assert applied["spec"]["template"] == manifest()["spec"]["template"]
