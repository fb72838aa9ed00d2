"""What the campaign API returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from hub.campaigns.progress import CampaignState
from hub.rollouts.model import RunState


class FixOut(BaseModel):
    application: str
    found: list[str] = Field(description="The vulnerable references in its desired manifests.")
    image_override: str = Field(description="What the image runs after the fix: a tag, a digest or tag@digest.")
    strategy: str | None = Field(description="The rollout strategy the release goes out with; None: all at once.")


class SkippedOut(BaseModel):
    application: str
    references: list[str]
    reason: str


class FixPlanOut(BaseModel):
    image: str = Field(description="The canonical repository, e.g. docker.io/library/nginx.")
    target: str
    older_than: str
    fixes: list[FixOut]
    skipped: list[SkippedOut] = Field(description="Applications left to a person, with the reason.")
    current: list[str] = Field(description="Applications that use the image and are not vulnerable.")


class CampaignApplicationOut(BaseModel):
    application: str
    found: list[str]
    image_override: str
    revision: int = Field(description="The release the campaign made.")
    run_id: int | None
    run_state: RunState | None = Field(description="Its rollout's state; None: released to every cluster at once.")
    current_revision: int | None = Field(description="The application's revision now; None: deleted.")
    desired_vulnerable: bool
    vulnerable_clusters: int = Field(description="Clusters that report this application running a vulnerable version.")


class CampaignOut(BaseModel):
    id: int
    image: str
    target: str
    older_than: str
    strategy: str | None
    state: CampaignState
    reason: str | None
    vulnerable_clusters: int = Field(description="Clusters that report any application running a vulnerable version.")
    created_at: datetime
    created_by: str
    finished_at: datetime | None
    applications: list[CampaignApplicationOut]
    skipped: list[SkippedOut] = Field(default_factory=list, description="Only when the campaign was started.")


class CampaignList(BaseModel):
    items: list[CampaignOut]


class FixResult(BaseModel):
    """A started campaign, or (dry run) only the plan."""

    dry_run: bool
    plan: FixPlanOut
    campaign: CampaignOut | None
