"""What a spoke reports: per-application status, and cluster heartbeats."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt

from schemas.v1.drift import DriftMode, ObjectDrift
from schemas.v1.names import ApplicationId, ClusterId


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Health(StrEnum):
    READY = "Ready"
    PROGRESSING = "Progressing"
    DEGRADED = "Degraded"
    MISSING = "Missing"
    UNKNOWN = "Unknown"


class ObjectRef(_Wire):
    api_version: str
    kind: str
    name: str
    namespace: str | None = None

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{where}{self.name}"


ObjectAction = Literal["applied", "unchanged", "pruned", "failed"]

# Bounds of what a spoke forwards per object: conditions are few, messages can be long.
MAX_CONDITIONS = 16
MAX_CONDITION_MESSAGE = 1024


class Condition(_Wire):
    """One of a live object's status conditions, as the cluster reports it."""

    type: str = Field(max_length=316)
    status: str = Field(max_length=32, description="True, False or Unknown.")
    reason: str = Field(default="", max_length=1024)
    message: str = Field(default="", max_length=MAX_CONDITION_MESSAGE)
    last_transition_time: AwareDatetime | None = None


class ObjectStatus(_Wire):
    ref: ObjectRef
    action: ObjectAction = Field(description="What the last apply did to this object.")
    health: Health
    message: str = ""
    error: str | None = Field(default=None, description="Why the API server rejected it, if it did.")
    conditions: list[Condition] = Field(
        default_factory=list, max_length=MAX_CONDITIONS, description="The live object's status conditions."
    )
    drift: ObjectDrift | None = Field(
        default=None,
        description="How the live object differs from what was applied, while it does (under `alert`, until "
        "the object is changed back or the next release; under `correct`, until the re-apply).",
    )
    corrections: NonNegativeInt = Field(
        default=0, description="Times the spoke re-applied this object to correct drift since it applied it."
    )
    last_correction: ObjectDrift | None = Field(default=None, description="The drift most recently corrected.")


ContainerType = Literal["container", "init", "ephemeral"]


class RunningImage(_Wire):
    """One container of one object an application applied, and the image it runs."""

    kind: str
    namespace: str | None = None
    name: str
    container: str
    container_type: ContainerType = Field(
        default="container", description="container, init (initContainers) or ephemeral (ephemeralContainers)."
    )
    image: str = Field(description="The image reference as the object's spec gives it.")
    digest: str | None = Field(
        default=None, description="The digest of the image running, when the cluster knows it (a Pod's imageID)."
    )


class StatusReport(_Wire):
    """Per cluster and application, Flux-style: what was observed, applied and attempted, and how it runs."""

    cluster: ClusterId
    application: ApplicationId
    observed_generation: NonNegativeInt = Field(description="Generation of the desired state last acted on.")
    observed_revision: NonNegativeInt
    last_applied_revision: NonNegativeInt | None = Field(
        default=None, description="Newest revision whose every object was applied."
    )
    last_attempted_revision: NonNegativeInt | None = None
    digest: str | None = None
    removed: bool = Field(default=False, description="The application is uninstalled from this cluster.")
    health: Health
    objects: list[ObjectStatus] = Field(default_factory=list)
    images: list[str] = Field(default_factory=list, description="Container images of the workloads, as running.")
    containers: list[RunningImage] | None = Field(
        default=None,
        description="Per object and container, the image it runs (every pod template: init, ephemeral, CronJob "
        "and Job templates included). Absent from older spokes, which send only `images`.",
    )
    errors: list[str] = Field(default_factory=list)
    drift_mode: DriftMode | None = Field(
        default=None, description="The drift policy the spoke applied (absent from older spokes)."
    )
    time: datetime


class Heartbeat(_Wire):
    cluster: ClusterId
    agent_version: str
    kubernetes_version: str | None = None
    nodes: NonNegativeInt = 0
    ready_nodes: NonNegativeInt = 0
    applications: NonNegativeInt = 0
    interval_seconds: float = Field(gt=0, description="When to expect the next one, at the latest.")
    time: datetime
