"""What the API returns: response models, and the pure assembly of a (cluster, application) entry from
what was last sent (placement) and what was last reported (status)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from hub.clusterstates import ClusterState
from hub.fleetviews import ApplicationVersions, ImageVersions
from hub.rollouts.views import RolloutSummary
from hub.sources.origin import Origin
from hub.store import models
from schemas.v1 import Health
from schemas.v1.drift import DriftPolicy


class Facts(BaseModel):
    kubernetes_version: str | None = None
    agent_version: str | None = None
    nodes: int | None = None
    ready_nodes: int | None = None


class _Deployment(BaseModel):
    desired_revision: int | None = Field(description="Revision last sent to the cluster; None once removed.")
    desired_state: Literal["present", "absent"]
    generation: int | None
    observed_generation: int | None
    observed_revision: int | None
    last_applied_revision: int | None
    health: str
    images: list[str]
    errors: list[str]
    removed: bool = Field(description="The spoke reported the application uninstalled.")
    reported_at: datetime | None


class ClusterApplication(_Deployment):
    application: str


class ApplicationCluster(_Deployment):
    cluster: str
    objects: list[dict[str, Any]]
    drifted: int = Field(default=0, description="Objects the spoke reports drifted now (fleetcast drift APP).")
    waiting_for: list[str] = Field(
        default_factory=list,
        description='Its newest bundle is held, not sent, until these dependencies are Ready here: "db (Progressing)".',
    )


class ClusterOut(BaseModel):
    id: str
    labels: dict[str, str]
    state: ClusterState
    last_seen: datetime | None
    facts: Facts
    created_at: datetime
    applications: list[ClusterApplication]


class ClusterList(BaseModel):
    items: list[ClusterOut]


class ClusterValuesOut(BaseModel):
    selector: str
    values: dict[str, Any]


class SourceOut(BaseModel):
    """What an application or release is made from."""

    kind: str = Field(description="manifests | chart | template")
    chart: str | None = Field(default=None, description="The chart's content digest (chart sources).")
    template: str | None = Field(default=None, description="The template's name (template sources).")
    template_revision: int | None = Field(default=None, description="The template revision the release was made from.")
    values: dict[str, Any] = Field(
        default_factory=dict, description="Values given, `${cluster...}` references unexpanded."
    )
    cluster_values: list[ClusterValuesOut] = Field(
        default_factory=list, description="Values for the clusters each selector matches, over `values` (later win)."
    )
    namespace: str = Field(default="default", description="Where namespaced objects that name no namespace go.")


class ApplicationOut(BaseModel):
    id: str
    selector: str
    revision: int
    digest: str
    strategy: str | None = Field(description="The rollout strategy releases go out with; None: all at once.")
    stable_revision: int | None = Field(
        description="The newest release rolled out to every cluster it selected: what a joining cluster gets."
    )
    rollout: RolloutSummary | None = Field(description="The newest rollout run, if a release ever had one.")
    image_overrides: dict[str, str] = Field(
        description="Image repository -> the tag or digest it runs instead of what the manifests say."
    )
    auto_update: list[dict[str, Any]] = Field(
        description="Auto-update policies: announced versions a policy allows make a release."
    )
    drift: DriftPolicy = Field(
        default_factory=DriftPolicy, description="What spokes do when a live object drifts from its release."
    )
    source: SourceOut = Field(default_factory=lambda: SourceOut(kind="manifests"), description="What it is made from.")
    depends_on: list[str] = Field(
        default_factory=list, description="Applications that must be Ready on a cluster before its bundles go there."
    )
    missing_dependencies: list[str] = Field(
        default_factory=list,
        description="Those of depends_on that name no application (yet): nothing goes until they do.",
    )
    created_at: datetime
    updated_at: datetime
    clusters: list[ApplicationCluster]


class ApplicationList(BaseModel):
    items: list[ApplicationOut]


class ReleaseOut(BaseModel):
    revision: int
    digest: str
    selector: str
    created_at: datetime
    created_by: str | None = Field(description="Who made it (system:campaigns, system:auto-update for automatic ones).")
    cause: str | None = Field(description="Why, when not by hand: a campaign or an announced image version.")
    image_overrides: dict[str, str]
    manifests: list[dict[str, Any]] = Field(description="What clusters get: the image overrides applied.")
    source_manifests: list[dict[str, Any]] | None = Field(
        description="The manifests as given, when the image overrides changed them."
    )
    drift: DriftPolicy = Field(default_factory=DriftPolicy, description="The drift policy its bundles carry.")
    source: SourceOut = Field(
        default_factory=lambda: SourceOut(kind="manifests"),
        description="What it was made from. For a chart or template, `manifests` is empty: each cluster gets its "
        "own rendering (GET /api/v1/applications/{id}/manifests?cluster=C).",
    )
    origin: Origin | None = Field(default=None, description="Where it came from when synced from code.")
    warnings: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Findings of `warn` policies when it was made: policy, cluster, object, message.",
    )


class ReleaseList(BaseModel):
    items: list[ReleaseOut]


class RenderedManifests(BaseModel):
    """What one cluster gets of one release."""

    application: str
    revision: int
    cluster: str
    source: SourceOut
    digest: str = Field(description="The digest of these manifests: the bundle's.")
    manifests: list[dict[str, Any]]


class RemovedFromCluster(BaseModel):
    application: str
    revision: int
    generation: int


class RemovedApplication(BaseModel):
    cluster: str
    revision: int
    generation: int


class ClusterDeregistered(BaseModel):
    id: str
    removed: list[RemovedFromCluster]


class ApplicationDeleted(BaseModel):
    id: str
    revision: int
    removed: list[RemovedApplication]


class VersionsOut(BaseModel):
    items: list[ApplicationVersions]


class ImagesOut(BaseModel):
    items: list[ImageVersions]


def deployment_fields(placement: models.Placement | None, status: models.Status | None) -> dict[str, Any]:
    active = placement is not None and placement.active
    return {
        "desired_revision": placement.revision if placement is not None and active else None,
        "desired_state": "present" if active else "absent",
        "generation": placement.generation if placement is not None else None,
        "observed_generation": status.observed_generation if status else None,
        "observed_revision": status.observed_revision if status else None,
        "last_applied_revision": status.last_applied_revision if status else None,
        # Silence is not success: placed but never reported is Unknown, not Ready.
        "health": status.health if status else Health.UNKNOWN.value,
        "images": list(status.images) if status else [],
        "errors": list(status.errors) if status else [],
        "removed": status.removed if status else False,
        "reported_at": status.reported_at if status else None,
    }


def worth_showing(placement: models.Placement | None, status: models.Status | None) -> bool:
    """Installed, or reported on: a removal stays visible until (and after) the spoke confirms it."""
    return (placement is not None and placement.active) or status is not None
