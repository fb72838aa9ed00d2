"""/api/v1/applications: reading needs any valid token; a PUT or DELETE the deployer role."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response, status

from hub.api.deps import Deployer, ServicesDep, viewer
from hub.api.errors import ERROR_RESPONSES
from hub.services.application_body import ApplicationPut, put_application
from hub.views import ApplicationDeleted, ApplicationList, ApplicationOut, ReleaseList, RenderedManifests

router = APIRouter(
    prefix="/api/v1/applications", tags=["applications"], dependencies=[Depends(viewer)], responses=ERROR_RESPONSES
)


@router.put("/{application_id}", responses={201: {"description": "A new release was made"}})
async def put(
    application_id: str, body: ApplicationPut, response: Response, services: ServicesDep, principal: Deployer
) -> ApplicationOut:
    application, created = await put_application(services.applications, principal, application_id, body)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return application


@router.get("")
async def find(services: ServicesDep) -> ApplicationList:
    return ApplicationList(items=await services.applications.find())


@router.get("/{application_id}")
async def get(application_id: str, services: ServicesDep) -> ApplicationOut:
    return await services.applications.get(application_id)


@router.get("/{application_id}/releases")
async def releases(application_id: str, services: ServicesDep) -> ReleaseList:
    return ReleaseList(items=await services.applications.releases(application_id))


@router.get("/{application_id}/manifests")
async def manifests(
    application_id: str,
    services: ServicesDep,
    cluster: str = Query(description="The cluster whose bundle to show."),
    revision: int | None = Query(default=None, ge=1, description="A release's revision; default: the current one."),
) -> RenderedManifests:
    """What one cluster gets of a release: its manifests, or for a chart or template its rendering for that
    cluster."""
    return await services.applications.manifests(application_id, cluster, revision)


@router.delete("/{application_id}")
async def delete(application_id: str, services: ServicesDep, principal: Deployer) -> ApplicationDeleted:
    return await services.applications.delete(application_id, actor=principal.name)
