"""Status reports: built from outcomes and live objects, and sent only when something changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.v1 import Bundle, Health, ObjectRef, Removal, RunningImage
from schemas.v1.drift import ObjectDrift
from spoke.errors import ErrorClass
from spoke.reports import ObjectExtras, ObjectOutcome, bundle_status, changed, removal_status

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DEPLOY = ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace="ns")
CM = ObjectRef(api_version="v1", kind="ConfigMap", name="cfg", namespace="ns")
BUNDLE = Bundle.build("app", 3, 7, [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}}])

READY = {
    "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}},
    "status": {
        "replicas": 1,
        "updatedReplicas": 1,
        "availableReplicas": 1,
        "conditions": [{"type": "Available", "status": "True"}],
    },
}


def live(objects: dict[ObjectRef, dict[str, Any]]) -> Any:
    return lambda ref: objects.get(ref)


def test_a_bundle_report_carries_health_revisions_and_images() -> None:
    outcomes = [ObjectOutcome(CM, "applied"), ObjectOutcome(DEPLOY, "applied")]
    report = bundle_status(
        "c1", BUNDLE, outcomes, live({CM: {}, DEPLOY: READY}), last_applied_revision=3, errors=[], now=NOW
    )
    assert report.health is Health.READY
    assert (report.observed_generation, report.observed_revision, report.last_attempted_revision) == (7, 3, 3)
    assert report.last_applied_revision == 3
    assert report.images == ["nginx:1"]
    assert report.containers == [
        RunningImage(
            kind="Deployment", namespace="ns", name="web", container="c", container_type="container", image="nginx:1"
        )
    ]
    assert report.digest == BUNDLE.digest


def test_a_removal_report_says_nothing_runs() -> None:
    report = removal_status(
        "c1", Removal(application="app", revision=3, generation=8, reason="deleted"), [], errors=[], now=NOW
    )
    assert report.containers == []


def test_a_rejected_object_degrades_the_application_and_carries_its_error() -> None:
    outcomes = [ObjectOutcome(CM, "applied"), ObjectOutcome(DEPLOY, "failed", "invalid", ErrorClass.TERMINAL)]
    report = bundle_status("c1", BUNDLE, outcomes, live({CM: {}}), last_applied_revision=None, errors=["x"], now=NOW)
    assert report.health is Health.DEGRADED
    failed = next(o for o in report.objects if o.action == "failed")
    assert failed.error == "invalid" and failed.health is Health.MISSING


def test_a_not_ready_object_is_missing_not_degraded() -> None:
    outcomes = [ObjectOutcome(DEPLOY, "failed", "namespace not found", ErrorClass.NOT_READY)]
    report = bundle_status("c1", BUNDLE, outcomes, live({}), last_applied_revision=None, errors=[], now=NOW)
    assert report.health is Health.MISSING


def test_a_failed_reconcile_is_not_reported_as_ready() -> None:
    report = bundle_status("c1", BUNDLE, [], live({}), last_applied_revision=2, errors=["timeout"], now=NOW)
    assert report.health is Health.DEGRADED and report.errors == ["timeout"]


def test_pruned_objects_are_listed_as_pruned_and_do_not_count_for_health() -> None:
    outcomes = [ObjectOutcome(CM, "pruned"), ObjectOutcome(DEPLOY, "applied")]
    report = bundle_status("c1", BUNDLE, outcomes, live({DEPLOY: READY}), last_applied_revision=3, errors=[], now=NOW)
    assert report.health is Health.READY
    assert [o.action for o in report.objects] == ["pruned", "applied"]


def test_a_removal_report_says_removed() -> None:
    removal = Removal(application="app", revision=3, generation=8, reason="deleted")
    report = removal_status("c1", removal, [ObjectOutcome(CM, "pruned")], errors=[], now=NOW)
    assert report.removed and report.health is Health.MISSING and report.observed_generation == 8
    failing = removal_status("c1", removal, [ObjectOutcome(CM, "failed", "x")], errors=["x"], now=NOW)
    assert not failing.removed


def test_only_a_change_other_than_the_time_is_worth_sending() -> None:
    outcomes = [ObjectOutcome(DEPLOY, "applied")]
    first = bundle_status("c1", BUNDLE, outcomes, live({DEPLOY: READY}), last_applied_revision=3, errors=[], now=NOW)
    later = first.model_copy(update={"time": NOW + timedelta(minutes=5)})
    progressing = bundle_status("c1", BUNDLE, outcomes, live({}), last_applied_revision=3, errors=[], now=NOW)
    assert changed(None, first)
    assert not changed(first, later)
    assert changed(first, progressing)


def test_objects_carry_their_conditions_and_the_detectors_drift() -> None:
    drift = ObjectDrift(kind="modified", fields=["spec.replicas"], managers=["kubectl-scale"], detected_at=NOW)

    def extras(ref: ObjectRef) -> ObjectExtras | None:
        return ObjectExtras(drift=drift, corrections=2, last_correction=drift) if ref == DEPLOY else None

    outcomes = [ObjectOutcome(CM, "applied"), ObjectOutcome(DEPLOY, "applied")]
    objects = live({CM: {}, DEPLOY: READY})
    report = bundle_status("c1", BUNDLE, outcomes, objects, last_applied_revision=3, errors=[], now=NOW, extras=extras)
    assert report.drift_mode == "correct"
    cm, deploy = report.objects
    assert (cm.drift, cm.corrections, cm.conditions) == (None, 0, [])
    assert deploy.drift == drift and deploy.corrections == 2 and deploy.last_correction == drift
    assert [(c.type, c.status) for c in deploy.conditions] == [("Available", "True")]
    # Without extras, the conditions still come from the live object, and the policy from the bundle.
    plain = bundle_status("c1", BUNDLE, outcomes, objects, last_applied_revision=3, errors=[], now=NOW)
    assert plain.drift_mode == "correct" and plain.objects[1].conditions == deploy.conditions
