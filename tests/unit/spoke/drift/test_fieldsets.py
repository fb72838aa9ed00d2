"""Managed-fields trees as field paths: flatten, unflatten, and the path grammar round-trip."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from schemas.v1.drift import MAX_PATH_LENGTH, FieldPath, format_path, parse_path
from spoke.drift.fieldsets import flatten, key_of, others, owned_by, segment_of, unflatten
from tests.unit.spoke.drift.strategies import paths, segments

DEPLOYMENT_FIELDS = {
    "f:metadata": {"f:labels": {"f:app": {}, "f:app.kubernetes.io/managed-by": {}}},
    "f:spec": {
        "f:replicas": {},
        "f:template": {
            "f:spec": {
                "f:containers": {
                    'k:{"name":"web"}': {
                        ".": {},
                        "f:image": {},
                        "f:name": {},
                        "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}},
                        "f:args": {},
                    }
                },
                "f:finalizers": {'v:"example.com/x"': {}},
                "f:tolerations": {"i:0": {}},
            }
        },
    },
}


def test_flatten_names_every_owned_field_the_readable_way() -> None:
    assert sorted(format_path(p) for p in flatten(DEPLOYMENT_FIELDS)) == sorted(
        [
            "metadata.labels.app",
            'metadata.labels["app.kubernetes.io/managed-by"]',
            "spec.replicas",
            "spec.template.spec.containers[name=web]",
            "spec.template.spec.containers[name=web].image",
            "spec.template.spec.containers[name=web].name",
            "spec.template.spec.containers[name=web].ports[containerPort=80,protocol=TCP]",
            "spec.template.spec.containers[name=web].ports[containerPort=80,protocol=TCP].containerPort",
            "spec.template.spec.containers[name=web].args",
            'spec.template.spec.finalizers[="example.com/x"]',
            "spec.template.spec.tolerations[0]",
        ]
    )


def test_an_empty_or_absent_tree_owns_nothing() -> None:
    assert flatten(None) == frozenset()
    assert flatten({}) == frozenset()


def test_owners_come_from_managed_fields_entries() -> None:
    obj = {
        "metadata": {
            "managedFields": [
                {"manager": "fleetcast", "operation": "Apply", "fieldsV1": {"f:spec": {"f:paused": {}}}},
                {"manager": "kubectl-edit", "operation": "Update", "fieldsV1": {"f:spec": {"f:replicas": {}}}},
                {
                    "manager": "kube-controller-manager",
                    "operation": "Update",
                    "subresource": "status",
                    "fieldsV1": {"f:status": {"f:replicas": {}}},
                },
            ]
        }
    }
    assert owned_by(obj, "fleetcast") == frozenset({parse_path("spec.paused")})
    assert owned_by(obj, "someone") is None
    assert others(obj, "fleetcast") == {
        "kubectl-edit": {parse_path("spec.replicas")},
        "kube-controller-manager": {parse_path("status.replicas")},
    }


@given(segments)
def test_a_segment_survives_its_fieldsv1_key(segment: object) -> None:
    assert segment_of(key_of(segment)) == segment  # type: ignore[arg-type]


@given(st.sets(paths, max_size=12))
def test_unflatten_then_flatten_gives_the_same_paths(owned: set[FieldPath]) -> None:
    assert flatten(unflatten(owned)) == owned


@given(paths)
def test_every_flattened_path_reads_back_from_its_text(path: FieldPath) -> None:
    text = format_path(path)
    assume(len(text) <= MAX_PATH_LENGTH)  # longer ones are reported, never parsed (rules are short)
    assert parse_path(text) == path
