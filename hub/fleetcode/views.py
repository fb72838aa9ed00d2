"""The sync API's bodies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.fleetcode.plan import Action
from hub.sources.origin import Origin


class SyncDocument(BaseModel):
    """A document as in the repository, with its paths resolved by the client: an Application's
    `manifests` are the objects themselves (and a `chart` `{"archive": <base64 .tgz>}`)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    api_version: str = Field(alias="apiVersion", default="fleetcast.dev/v1")
    kind: str = Field(max_length=32)
    metadata: dict[str, Any]
    spec: dict[str, Any]
    file: str | None = Field(
        default=None, max_length=1024, description="The file that holds it, relative to the repository's root."
    )


class SyncIn(BaseModel):
    origin: Origin = Field(description="What is synced: the repository, the directory in it, the commit.")
    documents: list[SyncDocument] = Field(max_length=5000)
    prune: bool = Field(
        default=False, description="Delete what this (repository, path) manages that the documents no longer hold."
    )
    dry_run: bool = Field(default=False, description="Only compute the plan; change nothing.")


class SyncStep(BaseModel):
    kind: str
    name: str
    action: Action
    detail: str = ""
    skipped: bool = Field(default=False, description="A delete not done (prune was not asked for).")
    file: str | None = None


class SyncOut(BaseModel):
    plan: list[SyncStep]
    applied: bool = Field(description="False for a dry run: nothing was changed.")
    counts: dict[str, int] = Field(description="Steps per action, and skipped deletes.")
