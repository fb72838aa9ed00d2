"""/api/v1/applications/{id}/clusters/{cluster}: one application on one cluster, object by object."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from hub.api.deps import ServicesDep, viewer
from hub.api.errors import ERROR_RESPONSES
from hub.describe.views import DescribeOut

router = APIRouter(
    prefix="/api/v1/applications", tags=["applications"], dependencies=[Depends(viewer)], responses=ERROR_RESPONSES
)


@router.get("/{application_id}/clusters/{cluster}")
async def describe(
    application_id: Annotated[str, Path(max_length=63)],
    cluster: Annotated[str, Path(max_length=63)],
    services: ServicesDep,
) -> DescribeOut:
    """The application on that cluster as its spoke last reported: revisions and health, and for each
    object its health, message, error, conditions, drift (fields, managers, since), corrections and its
    newest Kubernetes Events. 404 when the application was never sent there."""
    return await services.describe.describe(application_id, cluster)
