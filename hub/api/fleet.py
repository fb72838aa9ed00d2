"""/api/v1/versions and /api/v1/images: what runs where."""

from __future__ import annotations

from fastapi import APIRouter

from hub.api.deps import ServicesDep
from hub.views import ImagesOut, VersionsOut

router = APIRouter(prefix="/api/v1", tags=["fleet"])


@router.get("/versions")
async def versions(services: ServicesDep, selector: str | None = None, application: str | None = None) -> VersionsOut:
    return VersionsOut(items=await services.fleet.versions(selector, application))


@router.get("/images")
async def images(services: ServicesDep, name: str | None = None, selector: str | None = None) -> ImagesOut:
    return ImagesOut(items=await services.fleet.images(name, selector))
