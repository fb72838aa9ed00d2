"""Drift of one object from its managed fields: what we owned after our apply and own no longer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from schemas.v1 import ObjectRef
from schemas.v1.drift import FieldPath, IgnoreRule, parse_path
from spoke.drift.detect import DELETED, Drift, detect, detect_for, older, version_of
from spoke.drift.fieldsets import flatten, unflatten, value_at
from tests.unit.spoke.drift.strategies import paths

APPLIED: dict[str, Any] = {
    "f:metadata": {"f:labels": {"f:app": {}}},
    "f:spec": {
        "f:replicas": {},
        "f:template": {"f:spec": {"f:containers": {'k:{"name":"web"}': {".": {}, "f:image": {}, "f:name": {}}}}},
    },
}
REF = ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace="shop")


def live(*entries: tuple[str, str, dict[str, Any]], version: str = "10") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "resourceVersion": version,
            "managedFields": [
                {"manager": manager, "operation": operation, "fieldsV1": fields}
                for manager, operation, fields in entries
            ],
        },
    }


BASELINE = flatten(APPLIED)


def test_an_object_as_applied_has_not_drifted() -> None:
    assert detect(BASELINE, "MODIFIED", live(("fleetcast", "Apply", APPLIED))) is None


def test_a_field_another_manager_took_is_drift_naming_it_and_them() -> None:
    ours = {"f:metadata": APPLIED["f:metadata"], "f:spec": {"f:template": APPLIED["f:spec"]["f:template"]}}
    edited = live(("fleetcast", "Apply", ours), ("kubectl-scale", "Update", {"f:spec": {"f:replicas": {}}}))
    assert detect(BASELINE, "MODIFIED", edited) == Drift("modified", (parse_path("spec.replicas"),), ("kubectl-scale",))


def test_an_image_edit_is_drift_of_that_container_field_only() -> None:
    ours = {
        "f:metadata": APPLIED["f:metadata"],
        "f:spec": {
            "f:replicas": {},
            "f:template": {"f:spec": {"f:containers": {'k:{"name":"web"}': {".": {}, "f:name": {}}}}},
        },
    }
    edit: dict[str, Any] = {
        "f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"web"}': {"f:image": {}}}}}}
    }
    drift = detect(BASELINE, "MODIFIED", live(("fleetcast", "Apply", ours), ("kubectl-edit", "Update", edit)))
    assert drift is not None
    assert drift.report(datetime(2026, 1, 1, tzinfo=UTC)).fields == ["spec.template.spec.containers[name=web].image"]
    assert drift.managers == ("kubectl-edit",)


def test_a_removed_field_nobody_owns_is_drift_without_a_manager() -> None:
    ours = {"f:spec": APPLIED["f:spec"]}
    assert detect(BASELINE, "MODIFIED", live(("fleetcast", "Apply", ours))) == Drift(
        "modified", (parse_path("metadata.labels.app"),), ()
    )


def test_our_entry_gone_means_everything_drifted() -> None:
    drift = detect(BASELINE, "MODIFIED", live(("before-first-apply", "Update", APPLIED)))
    assert drift is not None and set(drift.fields) == BASELINE
    assert drift.managers == ("before-first-apply",)


def test_a_deleted_object_is_drift_of_kind_deleted() -> None:
    assert detect(BASELINE, "DELETED", live(("fleetcast", "Apply", APPLIED))) == DELETED


def test_ignored_paths_are_not_drift_and_their_managers_not_named() -> None:
    ours = {"f:spec": {"f:template": APPLIED["f:spec"]["f:template"]}}
    edited = live(
        ("fleetcast", "Apply", ours),
        ("hpa", "Update", {"f:spec": {"f:replicas": {}}}),
        ("kubectl-label", "Update", {"f:metadata": {"f:labels": {"f:app": {}}}}),
    )
    rules = [IgnoreRule(kind="Deployment", paths=["spec.replicas"])]
    assert detect_for(REF, rules, BASELINE, "MODIFIED", edited) == Drift(
        "modified", (parse_path("metadata.labels.app"),), ("kubectl-label",)
    )
    everything = [IgnoreRule(paths=["spec", "metadata"])]
    assert detect_for(REF, everything, BASELINE, "MODIFIED", edited) is None
    other_kind = [IgnoreRule(kind="StatefulSet", paths=["spec", "metadata"])]
    assert detect_for(REF, other_kind, BASELINE, "MODIFIED", edited) is not None


def test_resource_versions_order_watch_events_against_our_apply() -> None:
    assert version_of(live(version="12")) == 12
    assert version_of({"metadata": {"resourceVersion": "opaque"}}) is None
    assert older(live(version="9"), 10)
    assert not older(live(version="10"), 10)
    assert not older(live(version="9"), None)
    assert not older({"metadata": {"resourceVersion": "x"}}, 10)


@given(st.sets(paths, max_size=10), st.sets(paths, max_size=10), st.sets(paths, max_size=6))
def test_drift_is_exactly_what_we_lost_minus_what_is_ignored(
    baseline: set[FieldPath], now: set[FieldPath], ignored: set[FieldPath]
) -> None:
    obj = live(("fleetcast", "Apply", unflatten(now)))
    drift = detect(frozenset(baseline), "MODIFIED", obj, sorted(ignored, key=repr))
    expected = {p for p in baseline - flatten(unflatten(now)) if not any(p[: len(i)] == i for i in ignored)}
    if not expected:
        assert drift is None
    else:
        assert drift is not None and drift.kind == "modified" and set(drift.fields) == expected


def test_an_owner_that_moved_without_a_change_is_not_drift() -> None:
    applied = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1"}]}}},
    }
    ours = {"f:spec": {"f:template": APPLIED["f:spec"]["f:template"]}, "f:metadata": APPLIED["f:metadata"]}
    entries = (("fleetcast", "Apply", ours), ("kubectl-edit", "Update", {"f:spec": {"f:replicas": {}}}))
    changed_back = {**live(*entries), **{"spec": {**applied["spec"], "replicas": 2}}}
    assert detect(BASELINE, "MODIFIED", changed_back, applied=applied) is None
    still_changed = {**live(*entries), **{"spec": {**applied["spec"], "replicas": 5}}}
    assert detect(BASELINE, "MODIFIED", still_changed, applied=applied) == Drift(
        "modified", (parse_path("spec.replicas"),), ("kubectl-edit",)
    )
    removed = {**live(*entries), **{"spec": {k: v for k, v in applied["spec"].items() if k != "replicas"}}}
    assert detect(BASELINE, "MODIFIED", removed, applied=applied) is not None


def test_values_are_found_by_path() -> None:
    obj = {"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "args": ["p", "q"]}], "f": ["s"]}}
    assert value_at(obj, parse_path("spec.containers[name=b].args[1]")) == (True, "q")
    assert value_at(obj, parse_path('spec.f[="s"]')) == (True, "s")
    assert value_at(obj, parse_path("spec.containers[name=c]")) == (False, None)
    assert value_at(obj, parse_path("spec.containers.x")) == (False, None)
