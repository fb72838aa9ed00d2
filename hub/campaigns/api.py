"""/api/v1/campaigns: start a fix (deployer; dry run for anyone who may read), follow campaigns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import Authenticated, ServicesDep, viewer
from hub.api.errors import ERROR_RESPONSES
from hub.auth.roles import Role
from hub.campaigns.service import FixRequest
from hub.campaigns.views import CampaignList, CampaignOut, FixResult
from hub.errors import Forbidden
from hub.store.types import INTEGER_MAX

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"], responses=ERROR_RESPONSES)


class FixIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image: str = Field(
        max_length=230, description="The image to fix, as written in manifests: nginx, ghcr.io/acme/api."
    )
    to: str = Field(max_length=255, description="What fixed applications run: a tag (1.27.4), a digest or tag@digest.")
    older_than: str | None = Field(
        default=None,
        max_length=128,
        description="References with a version below this are vulnerable; default: the `to` version.",
    )
    strategy: str | None = Field(
        default=None,
        max_length=63,
        description="The rollout strategy for every release; default: each application's own.",
    )
    dry_run: bool = Field(default=False, description="Only show what would change; nothing is stored or sent.")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": FixResult, "description": "A dry run: the plan only"}},
)
async def fix(body: FixIn, response: Response, services: ServicesDep, principal: Authenticated) -> FixResult:
    """Release every application whose desired manifests run `image` below `older_than` with the image at
    `to`, each under its strategy, and follow the fleet until no cluster reports a vulnerable version."""
    if not body.dry_run and not principal.has_role(Role.DEPLOYER):
        raise Forbidden(f"starting a campaign needs the deployer role; {principal.describe()}")
    request = FixRequest(image=body.image, to=body.to, older_than=body.older_than, strategy=body.strategy)
    if body.dry_run:
        response.status_code = status.HTTP_200_OK
    return await services.campaigns.fix(request, actor=principal.name, dry_run=body.dry_run)


@router.get("", dependencies=[Depends(viewer)])
async def find(
    services: ServicesDep, active: bool | None = None, limit: int = Query(100, ge=1, le=1000)
) -> CampaignList:
    return CampaignList(items=await services.campaigns.find(active=active, limit=limit))


@router.get("/{campaign_id}", dependencies=[Depends(viewer)])
async def get(campaign_id: Annotated[int, Path(ge=1, le=INTEGER_MAX)], services: ServicesDep) -> CampaignOut:
    return await services.campaigns.get(campaign_id)
