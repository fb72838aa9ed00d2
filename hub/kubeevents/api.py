"""/api/v1/applications/{id}/events: Kubernetes Events of an application's objects, newest first."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from hub.api.deps import ServicesDep, viewer
from hub.api.errors import ERROR_RESPONSES
from hub.kubeevents.service import MAX_LIMIT
from hub.kubeevents.views import KubeEventListOut

router = APIRouter(
    prefix="/api/v1/applications", tags=["events"], dependencies=[Depends(viewer)], responses=ERROR_RESPONSES
)


@router.get("/{application_id}/events")
async def events(
    application_id: Annotated[str, Path(max_length=63)],
    services: ServicesDep,
    cluster: Annotated[str | None, Query(max_length=63, description="Only this cluster.")] = None,
    type: Annotated[Literal["Normal", "Warning"] | None, Query(description="Only events of this type.")] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="At most this many (50).")] = None,
) -> KubeEventListOut:
    """Kubernetes Events (warnings at least) of the objects the application manages, as spokes forward
    them: per cluster the newest 200 are kept, none older than 7 days. `dropped` counts those the spokes
    did not forward (their rate limit)."""
    return await services.kube_events.list(application_id, cluster=cluster, event_type=type, limit=limit)
