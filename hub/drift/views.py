"""What the drift list returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from hub.store import models


class DriftEntryOut(BaseModel):
    """One managed object on one cluster that drifts now, or was corrected before."""

    cluster: str
    application: str
    api_version: str
    kind: str = Field(description="The object's kind (Deployment, ConfigMap, ...).")
    namespace: str | None
    name: str
    object: str = Field(description="Kind/namespace/name.")
    drift: str | None = Field(description="modified | deleted while it drifts; null: not drifting now.")
    fields: list[str] = Field(description="Field paths another manager changed (spec.replicas, ...).")
    managers: list[str] = Field(description="Who changed them (field managers).")
    since: datetime | None = Field(description="When the spoke detected the drift.")
    mode: str | None = Field(description="The drift policy the spoke applied: correct | alert.")
    corrections: int = Field(description="Times the spoke re-applied the object to correct drift.")
    last_correction: dict[str, Any] | None = Field(description="The drift most recently corrected.")


class DriftListOut(BaseModel):
    total: int = Field(description="Rows matching the filters (drifting now or corrected before); exact.")
    drifting: int = Field(description="Of those, objects drifting now.")
    items: list[DriftEntryOut] = Field(description="By cluster, application, then the report's object order.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: no more.")


def entry_out(entry: models.DriftIndexEntry) -> DriftEntryOut:
    where = f"{entry.namespace}/" if entry.namespace else ""
    return DriftEntryOut(
        cluster=entry.cluster_id,
        application=entry.application_id,
        api_version=entry.api_version,
        kind=entry.kind,
        namespace=entry.namespace,
        name=entry.name,
        object=f"{entry.kind}/{where}{entry.name}",
        drift=entry.drift,
        fields=list(entry.fields or []),
        managers=list(entry.managers or []),
        since=entry.since,
        mode=entry.mode,
        corrections=entry.corrections,
        last_correction=entry.last_correction,
    )
