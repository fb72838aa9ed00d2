"""POST /api/v1/applications/{id}/diff: preview what a PUT of the application would change, per cluster.

Deployer role: the answer shows manifests (Secret values excepted), as a PUT's author would see them.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from hub.api.deps import Deployer, ServicesDep
from hub.api.errors import ERROR_RESPONSES
from hub.diffs.views import DiffOut
from hub.services.application_body import ApplicationPut, source_change
from hub.services.applications import KEEP

router = APIRouter(prefix="/api/v1/applications", tags=["applications"], responses=ERROR_RESPONSES)

MAX_TIMEOUT_SECONDS = 120.0


class DiffIn(ApplicationPut):
    """The body of the PUT it previews, plus how to ask the clusters themselves."""

    live: bool = Field(
        default=False,
        description="Also ask every cluster the change reaches for a server-side-apply dry run of its new bundle "
        "against what is live there (field changes made by hand show up here).",
    )
    timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=MAX_TIMEOUT_SECONDS,
        description="With live: how long to wait for the clusters' answers; one that does not answer in time is "
        "listed as timeout.",
    )


@router.post("/{application_id}/diff")
async def diff(application_id: str, body: DiffIn, services: ServicesDep, _: Deployer) -> DiffOut:
    """For every registered cluster: whether the change reaches it (enter, leave, stay, none) and the objects
    it would add, remove and change against the desired state the cluster has now, with a field-level
    unified diff; with `live`, also what the cluster's API server computes. A new application diffs against
    nothing. Nothing is stored or published."""
    return await services.diffs.diff(
        application_id,
        body.manifests,
        body.selector,
        strategy=body.strategy if "strategy" in body.model_fields_set else KEEP,
        image_overrides=(body.image_overrides or {}) if "image_overrides" in body.model_fields_set else KEEP,
        source=source_change(application_id, body),
        live=body.live,
        within=body.timeout_seconds,
    )
