"""/api/v1/applications: reading needs any valid token; a PUT or DELETE the deployer role."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, Field

from hub.api.deps import Deployer, ServicesDep, viewer
from hub.api.errors import ERROR_RESPONSES
from hub.auth.roles import Role
from hub.services.applications import KEEP
from hub.views import ApplicationDeleted, ApplicationList, ApplicationOut, ReleaseList

router = APIRouter(
    prefix="/api/v1/applications", tags=["applications"], dependencies=[Depends(viewer)], responses=ERROR_RESPONSES
)


class ApplicationPut(BaseModel):
    manifests: str | list[Any] | None = Field(
        default=None,
        description="YAML or JSON text (several documents allowed), or a list of objects. "
        "Required for a new application; omitted: keep the current ones.",
    )
    selector: str | dict[str, Any] | None = Field(
        default=None,
        description='Label selector: "env in (staging,prod)" or {"matchLabels": ..., "matchExpressions": ...}. '
        'Required for a new application ("" selects every cluster); omitted: keep the current one.',
    )
    strategy: str | None = Field(
        default=None,
        description="The rollout strategy new releases go out with; null: every selected cluster at once; "
        "omitted: keep the current one. Changing or removing an application's strategy needs the admin role.",
    )
    image_overrides: dict[str, str] | None = Field(
        default=None,
        description='Image -> tag or digest, applied wherever the image runs: {"nginx": "1.27.4"}; replaces the '
        "application's overrides ({} clears them); omitted: keep them. Each must match an image of the manifests.",
    )
    auto_update: list[dict[str, Any]] | None = Field(
        default=None,
        description='Auto-update policies [{"image": "nginx", "constraint": "~1.27", "strategy": "staging-first"}]; '
        "omitted: keep them.",
    )
    drift: dict[str, Any] | None = Field(
        default=None,
        description='Drift policy {"mode": "correct" | "alert", "ignore": [{"kind": "Deployment", "paths": '
        '["spec.replicas"]}]}: what spokes do when a live object differs from the release; null: the default '
        "(correct, nothing ignored); omitted: keep it. A change of it alone makes a new release. A path that "
        "does not parse is a 422 naming the rule and the path.",
    )
    depends_on: list[str] | None = Field(
        default=None,
        description="Applications that must be Ready on a cluster before this one's bundles are sent there "
        '(dependsOn): ["db", "cache"]; they need not exist yet. [] or null clears; omitted: keep them. A change '
        'of them alone makes no release. A cycle is a 422: "dependency cycle: web -> api -> web".',
    )


@router.put("/{application_id}", responses={201: {"description": "A new release was made"}})
async def put(
    application_id: str, body: ApplicationPut, response: Response, services: ServicesDep, principal: Deployer
) -> ApplicationOut:
    application, created = await services.applications.put(
        application_id,
        body.manifests,
        body.selector,
        actor=principal.name,
        strategy=body.strategy if "strategy" in body.model_fields_set else KEEP,
        may_change_strategy=principal.has_role(Role.ADMIN),
        image_overrides=(body.image_overrides or {}) if "image_overrides" in body.model_fields_set else KEEP,
        auto_update=(body.auto_update or []) if "auto_update" in body.model_fields_set else KEEP,
        drift=(body.drift or {}) if "drift" in body.model_fields_set else KEEP,
        depends_on=(body.depends_on or []) if "depends_on" in body.model_fields_set else KEEP,
    )
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


@router.delete("/{application_id}")
async def delete(application_id: str, services: ServicesDep, principal: Deployer) -> ApplicationDeleted:
    return await services.applications.delete(application_id, actor=principal.name)
