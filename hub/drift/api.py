"""/api/v1/drift: managed objects that differ from their release, fleet-wide. Any valid token may read it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from hub.api.deps import ServicesDep, viewer
from hub.api.errors import ERROR_RESPONSES
from hub.drift.cursors import MAX_LIMIT
from hub.drift.views import DriftListOut

router = APIRouter(prefix="/api/v1", tags=["drift"], dependencies=[Depends(viewer)], responses=ERROR_RESPONSES)


@router.get("/drift")
async def drift(
    services: ServicesDep,
    application: Annotated[str | None, Query(max_length=63, description="Only this application.")] = None,
    cluster: Annotated[str | None, Query(max_length=63, description="Only this cluster.")] = None,
    drifting: Annotated[
        bool, Query(description="Only objects drifting now (not those corrected before and fine since).")
    ] = False,
    limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="Rows per page (100).")] = None,
    cursor: Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page.")] = None,
) -> DriftListOut:
    """Every managed object a spoke reports drifted (a field it applied changed by another manager, or
    the object deleted), with the field paths, who changed them, since when, and the policy's mode;
    and objects the spoke corrected, with how often. From the newest status report of each cluster."""
    return await services.drift.list(
        application=application, cluster=cluster, drifting=drifting, limit=limit, cursor=cursor
    )
