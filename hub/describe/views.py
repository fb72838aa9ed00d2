"""What describe returns, and its pure assembly from the stored status and events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from hub.kubeevents.views import KubeEventOut, event_out
from hub.store import models
from hub.views import deployment_fields
from schemas.v1.drift import ObjectDrift
from schemas.v1.reports import Condition, ObjectStatus

# Events shown per object: the newest few say what is going on; `fleetcast events` has the rest.
EVENTS_PER_OBJECT = 5


class ObjectOut(BaseModel):
    object: str = Field(description="Kind/namespace/name.")
    api_version: str
    kind: str
    namespace: str | None
    name: str
    action: str | None = Field(description="What the last apply did: applied, unchanged, pruned, failed.")
    health: str
    message: str
    error: str | None = Field(description="Why the API server rejected it, if it did.")
    conditions: list[Condition]
    drift: ObjectDrift | None = Field(description="How the live object differs from the release, while it does.")
    corrections: int = Field(description="Times the spoke re-applied it to correct drift.")
    last_correction: ObjectDrift | None
    events: list[KubeEventOut] = Field(
        description="Its newest Kubernetes Events, newest first: its own and those of the objects it owns (its "
        "pods, through their ReplicaSet or Job; each event's `object` says which)."
    )


class DescribeOut(BaseModel):
    application: str
    cluster: str
    revision: int = Field(description="The application's current revision.")
    desired_revision: int | None
    desired_state: str
    observed_revision: int | None
    last_applied_revision: int | None
    health: str
    errors: list[str]
    removed: bool
    reported_at: datetime | None
    drifted: int = Field(description="Objects drifting now.")
    events_dropped: int = Field(description="Events the spoke did not forward (its rate limit).")
    objects: list[ObjectOut]


Key = tuple[str, str | None, str]  # kind, namespace, name


def _object(stored: Any) -> ObjectStatus | None:
    try:
        return ObjectStatus.model_validate(stored)
    except ValidationError:
        return None  # stored by an older hub in another shape: left out rather than fail the page


def attributed_to(row: models.KubeEventRecord) -> Key:
    """The managed object an event is shown under: its owner when the spoke attributed it to one (an
    event about a Pod of a Deployment), else its own object."""
    if row.owner_kind and row.owner_name:
        return (row.owner_kind, row.owner_namespace, row.owner_name)
    return (row.kind, row.namespace, row.name)


def objects_view(stored: Sequence[Any], events: Sequence[models.KubeEventRecord]) -> list[ObjectOut]:
    """The report's objects in its order, each with its newest events (`events` newest first)."""
    by_object: dict[Key, list[models.KubeEventRecord]] = defaultdict(list)
    for row in events:
        by_object[attributed_to(row)].append(row)
    out: list[ObjectOut] = []
    for item in stored:
        status = _object(item)
        if status is None:
            continue
        ref = status.ref
        where = f"{ref.namespace}/" if ref.namespace else ""
        out.append(
            ObjectOut(
                object=f"{ref.kind}/{where}{ref.name}",
                api_version=ref.api_version,
                kind=ref.kind,
                namespace=ref.namespace,
                name=ref.name,
                action=status.action,
                health=status.health.value,
                message=status.message,
                error=status.error,
                conditions=list(status.conditions),
                drift=status.drift,
                corrections=status.corrections,
                last_correction=status.last_correction,
                events=[event_out(r) for r in by_object.get((ref.kind, ref.namespace, ref.name), [])][
                    :EVENTS_PER_OBJECT
                ],
            )
        )
    return out


def describe_view(
    app: models.Application,
    cluster: str,
    placement: models.Placement | None,
    status: models.Status | None,
    events: Sequence[models.KubeEventRecord],
    dropped: int,
) -> DescribeOut:
    fields = deployment_fields(placement, status)
    objects = objects_view(status.objects if status is not None else [], events)
    return DescribeOut(
        application=app.id,
        cluster=cluster,
        revision=app.revision,
        desired_revision=fields["desired_revision"],
        desired_state=fields["desired_state"],
        observed_revision=fields["observed_revision"],
        last_applied_revision=fields["last_applied_revision"],
        health=fields["health"],
        errors=fields["errors"],
        removed=fields["removed"],
        reported_at=fields["reported_at"],
        drifted=sum(1 for o in objects if o.drift is not None),
        events_dropped=dropped,
        objects=objects,
    )
