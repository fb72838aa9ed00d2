"""POST /api/v1/sync: make the hub match a directory's documents. Any valid token may call it; each
document needs the role its own router needs (applications: deployer; strategies and notification
subscriptions: admin; templates and policies: platform)."""

from __future__ import annotations

from fastapi import APIRouter

from hub.api.deps import Authenticated, ServicesDep
from hub.api.errors import ERROR_RESPONSES
from hub.fleetcode.views import SyncIn, SyncOut

router = APIRouter(prefix="/api/v1", tags=["fleet as code"], responses=ERROR_RESPONSES)


@router.post("/sync")
async def sync(body: SyncIn, services: ServicesDep, principal: Authenticated) -> SyncOut:
    """Create and update what the documents hold, in dependency order (templates, policies, strategies,
    subscriptions, applications); with `prune`, delete what this (repository, path) manages and the
    documents no longer hold. Unchanged objects make no new release or version. `dry_run`: the plan
    only. Every problem of the documents is a 422 before anything changes."""
    return await services.fleet_code.sync(body, principal)
