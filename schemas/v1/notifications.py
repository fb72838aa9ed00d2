"""The notification document a webhook receives (format `json`): versioned like the events on Kafka, so
a receiver written against v1 keeps working as fields are added."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class PlanWave(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    state: str = Field(description="pending, in progress, passed, failed, ... as `fleetcast rollout status` says.")
    clusters: list[str] = Field(description="The clusters of the wave, in the order they are updated.")
    gates: list[str] = Field(description="Its gates, e.g. 'before: approval by role approver (open)'.")


class Plan(BaseModel):
    """The run's frozen plan, as it stands when the notification was made."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    strategy: str
    strategy_version: int
    waves: list[PlanWave]
    skipped: list[str] = Field(default_factory=list, description="Clusters no wave selects.")
    waiting_for: str | None = Field(default=None, description="What the run waits for, in words.")
    approvers: str | None = Field(default=None, description="Who may approve the open gate, e.g. 'role approver'.")
    approve_command: str | None = Field(default=None, description="The command that approves it.")


class Notification(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["fleetcast.notification"] = "fleetcast.notification"
    schema_version: Literal["v1"] = "v1"
    id: int | None = Field(description="The audit event's id (GET /api/v1/audit); null for a test notification.")
    event: str = Field(description="The event type, e.g. rollout.approval-requested (= the audit action).")
    time: AwareDatetime = Field(description="When it happened, by the hub's clock.")
    actor: str = Field(description="Who did it: a token's name, or system:<component> for the hub's own decisions.")
    subscription: int = Field(description="The subscription this delivery is for.")
    summary: str = Field(description="One line for people.")
    application: str | None = None
    cluster: str | None = None
    run: int | None = Field(default=None, description="The rollout run's id.")
    revision: int | None = None
    digest: str | None = None
    strategy: str | None = None
    reason: str | None = None
    details: dict[str, Any] = Field(default_factory=dict, description="The audit event's details.")
    plan: Plan | None = Field(default=None, description="Approval requests: the run's plan and who may approve.")
    diff: str | None = Field(default=None, description="Approval requests and new releases: what the release changes.")
    diff_truncated: bool = Field(default=False, description="The diff was cut to fit; the API has all of it.")
    links: dict[str, str] = Field(default_factory=dict, description="Where to look in the hub's API.")
