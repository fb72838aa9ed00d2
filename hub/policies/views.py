"""What the policy API answers with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from hub.policies.spec import Action, PolicySpec
from hub.sources.origin import Origin


class PolicyPut(PolicySpec):
    """The body of `PUT /api/v1/policies/{name}`: the Policy document's `spec`, whether it is applied,
    and where it came from (set by `fleetcast sync`)."""

    enabled: bool = Field(default=True, description="false: kept, but no release is checked against it.")
    origin: Origin | None = Field(default=None, description="Where this version came from, when from code.")


class PolicyOut(BaseModel):
    name: str
    enabled: bool
    description: str
    action: Action
    spec: dict[str, Any] = Field(description="The policy's spec, normalized (the selector in its text form).")
    created_by: str
    created_at: datetime
    updated_at: datetime
    origin: Origin | None = None


class PolicyList(BaseModel):
    items: list[PolicyOut]


class BaselinePolicyOut(BaseModel):
    name: str
    description: str
    action: Action
    spec: dict[str, Any]
    enabled: bool = Field(description="A policy of this name is published and enabled with exactly this spec.")


class BaselineList(BaseModel):
    items: list[BaselinePolicyOut]
