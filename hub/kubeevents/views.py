"""What the events list returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from hub.store import models


class KubeEventOut(BaseModel):
    cluster: str
    application: str
    object: str = Field(
        description="Kind/namespace/name of the object the event is about: the managed object, or one it owns "
        "(then `owner` names the managed object)."
    )
    api_version: str
    kind: str
    namespace: str | None
    name: str
    type: str = Field(description="Normal | Warning.")
    reason: str
    message: str
    count: int = Field(description="How often it happened (the cluster's series count).")
    first_time: datetime | None
    last_time: datetime
    source: str = Field(description="The component that reported it (kubelet, deployment-controller, ...).")
    owner: str | None = Field(
        default=None,
        description="Kind/namespace/name of the managed object the event is attributed to, when `object` is one "
        "it owns (a Pod of a Deployment, through its ReplicaSet); null when `object` is managed itself.",
    )
    owner_api_version: str | None = None


class KubeEventListOut(BaseModel):
    application: str
    items: list[KubeEventOut] = Field(description="Newest first.")
    dropped: int = Field(
        description="Events the spokes did not forward (their rate limit) for these clusters, since the hub "
        "first heard: a short list with drops is not a quiet cluster."
    )


def _named(kind: str, namespace: str | None, name: str) -> str:
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def event_out(row: models.KubeEventRecord) -> KubeEventOut:
    owner = _named(row.owner_kind, row.owner_namespace, row.owner_name) if row.owner_kind and row.owner_name else None
    return KubeEventOut(
        cluster=row.cluster_id,
        application=row.application_id,
        object=_named(row.kind, row.namespace, row.name),
        api_version=row.api_version,
        kind=row.kind,
        namespace=row.namespace,
        name=row.name,
        type=row.type,
        reason=row.reason,
        message=row.message,
        count=row.count,
        first_time=row.first_time,
        last_time=row.last_time,
        source=row.source,
        owner=owner,
        owner_api_version=row.owner_api_version if owner is not None else None,
    )
