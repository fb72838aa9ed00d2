"""What the audit API returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    time: datetime
    actor: str = Field(description="A token's name, or system:<component> for the hub's own decisions.")
    action: str
    application: str | None
    cluster: str | None
    strategy: str | None
    run_id: int | None
    revision: int | None
    digest: str | None
    reason: str | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEventOut] = Field(description="Newest first.")
    next_before: int | None = Field(
        description="Pass as `before` for the next, older page; null when there is none.",
    )
