"""describe's pure assembly: the report's objects in order, each with its own newest events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.describe.views import EVENTS_PER_OBJECT, objects_view
from hub.store import models
from schemas.v1 import Health
from schemas.v1.drift import ObjectDrift
from schemas.v1.reports import Condition, ObjectRef, ObjectStatus

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def stored(name: str, kind: str = "Deployment", **fields: object) -> dict[str, object]:
    status = ObjectStatus.model_validate(
        {
            "ref": ObjectRef(api_version="apps/v1", kind=kind, name=name, namespace="default"),
            "action": "applied",
            "health": Health.PROGRESSING,
            "message": "1 of 2 replicas ready",
        }
        | fields
    )
    return status.model_dump(mode="json")


def kube_event(event_id: int, name: str, reason: str, kind: str = "Deployment") -> models.KubeEventRecord:
    return models.KubeEventRecord(
        id=event_id,
        cluster_id="c1",
        application_id="web",
        series=str(event_id),
        api_version="apps/v1",
        kind=kind,
        namespace="default",
        name=name,
        type="Warning",
        reason=reason,
        message=f"{reason} happened",
        count=2,
        first_time=None,
        last_time=NOW - timedelta(seconds=event_id),
        source="controller",
        received_at=NOW,
    )


def test_each_object_gets_its_health_conditions_drift_and_own_events() -> None:
    drift = ObjectDrift(kind="modified", fields=["spec.replicas"], managers=["kubectl"], detected_at=NOW)
    objects = [
        stored(
            "web",
            conditions=[Condition(type="Available", status="False", reason="MinimumReplicasUnavailable")],
            drift=drift,
            corrections=1,
            last_correction=drift,
        ),
        stored("web", kind="Service"),
        {"not": "an object status"},  # an older hub's shape: left out
    ]
    events = [kube_event(i, "web", f"R{i}") for i in range(1, EVENTS_PER_OBJECT + 3)]
    events.append(kube_event(99, "other", "Elsewhere"))
    view = objects_view(objects, events)
    assert [o.object for o in view] == ["Deployment/default/web", "Service/default/web"]
    web = view[0]
    assert web.health == "Progressing"
    assert web.message == "1 of 2 replicas ready"
    assert web.conditions[0].reason == "MinimumReplicasUnavailable"
    assert web.drift == drift
    assert web.corrections == 1
    assert [e.reason for e in web.events] == [f"R{i}" for i in range(1, EVENTS_PER_OBJECT + 1)]
    assert view[1].events == []  # a Service of the same name has its own events


def test_events_of_an_owned_pod_are_shown_under_the_managed_object_that_owns_it() -> None:
    pod_event = kube_event(1, "web-7d4b9-x2", "BackOff", kind="Pod")
    pod_event.api_version = "v1"
    pod_event.owner_api_version, pod_event.owner_kind = "apps/v1", "Deployment"
    pod_event.owner_namespace, pod_event.owner_name = "default", "web"
    own_event = kube_event(2, "web", "ProgressDeadlineExceeded")
    stray = kube_event(3, "web-7d4b9-x2", "NotOurs", kind="Pod")  # no owner: matches no managed object
    view = objects_view([stored("web"), stored("web", kind="Service")], [pod_event, own_event, stray])
    web = view[0]
    assert [(e.reason, e.object, e.owner) for e in web.events] == [
        ("BackOff", "Pod/default/web-7d4b9-x2", "Deployment/default/web"),
        ("ProgressDeadlineExceeded", "Deployment/default/web", None),
    ]
    assert web.events[0].owner_api_version == "apps/v1" and web.events[1].owner_api_version is None
    assert view[1].events == []
