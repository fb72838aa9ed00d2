"""/api/v1/versions and /api/v1/images: what runs where. Any valid token may read them."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from hub.api.deps import ServicesDep, viewer
from hub.api.errors import ERROR_RESPONSES
from hub.views import ImagesOut, VersionsOut

router = APIRouter(prefix="/api/v1", tags=["fleet"], dependencies=[Depends(viewer)], responses=ERROR_RESPONSES)


@router.get("/versions")
async def versions(services: ServicesDep, selector: str | None = None, application: str | None = None) -> VersionsOut:
    return VersionsOut(items=await services.fleet.versions(selector, application))


@router.get("/images")
async def images(services: ServicesDep, name: str | None = None, selector: str | None = None) -> ImagesOut:
    return ImagesOut(items=await services.fleet.images(name, selector))
