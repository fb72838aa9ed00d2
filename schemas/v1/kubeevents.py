"""Kubernetes Events of the objects an application manages, forwarded by the spoke for people debugging
a rollout (`fleetcast events`, `fleetcast describe`).

Not desired state and not level-triggered: a bounded, rate-limited stream on the events topic
(`fleetcast.v1.events`, key = cluster id, kept 7 days). Warnings are always forwarded; Normal events
only when the spoke is configured to. A spoke under an event storm drops the excess and says how many
it dropped, so the hub never takes a quiet batch for a quiet cluster.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt

from schemas.v1.names import ApplicationId, ClusterId
from schemas.v1.reports import ObjectRef

MAX_EVENTS_PER_BATCH = 100
MAX_EVENT_MESSAGE = 1024

EventType = Literal["Normal", "Warning"]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class KubeEvent(_Wire):
    """One Kubernetes Event (core/v1 or events.k8s.io/v1) about a managed object, or about an object a
    managed one owns (a Pod of a Deployment, through its ReplicaSet)."""

    object: ObjectRef = Field(
        description="The object the event is about (its involvedObject/regarding): the managed object itself, "
        "or, when `owner` is set, an object it owns."
    )
    type: EventType
    reason: str = Field(max_length=128)
    message: str = Field(default="", max_length=MAX_EVENT_MESSAGE)
    count: PositiveInt = Field(default=1, description="How often it happened (the cluster's own series count).")
    first_time: AwareDatetime | None = None
    last_time: AwareDatetime
    source: str = Field(default="", max_length=253, description="The component that reported it.")
    owner: ObjectRef | None = Field(
        default=None,
        description="The managed object the event is attributed to, found through ownerReferences, when "
        "`object` is not managed itself (a Pod -> its ReplicaSet -> this Deployment); None when it is.",
    )


class KubeEventBatch(_Wire):
    cluster: ClusterId
    application: ApplicationId
    events: list[KubeEvent] = Field(max_length=MAX_EVENTS_PER_BATCH)
    dropped: NonNegativeInt = Field(
        default=0, description="Events of this application not forwarded since the last batch (rate limit)."
    )
    time: AwareDatetime
