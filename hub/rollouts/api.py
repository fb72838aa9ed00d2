"""/api/v1/strategies, /api/v1/rollouts and /api/v1/applications/{id}/rollout: thin routers over the
strategy and rollout services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, Field

from hub.api.deps import Admin, Authenticated, Deployer, ServicesDep, Viewer
from hub.api.errors import ERROR_RESPONSES
from hub.auth.roles import Principal
from hub.rollouts.spec import StrategySpec
from hub.rollouts.views import RolloutList, RolloutOut, StrategyList, StrategyOut, StrategyVersionList
from hub.store.types import INTEGER_MAX

strategies = APIRouter(prefix="/api/v1/strategies", tags=["strategies"], responses=ERROR_RESPONSES)
rollouts = APIRouter(prefix="/api/v1", tags=["rollouts"], responses=ERROR_RESPONSES)


@strategies.put("/{name}", responses={201: {"description": "A new version of the strategy was made"}})
async def put_strategy(
    name: str, spec: StrategySpec, response: Response, services: ServicesDep, principal: Admin
) -> StrategyOut:
    """Create or update a strategy; an unchanged one makes no new version. Admin only: a strategy holds
    the approval gates, so whoever can change it can change who must approve."""
    strategy, created = await services.strategies.put(name, spec.dump(), actor=principal.name)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return strategy


@strategies.get("")
async def list_strategies(services: ServicesDep, _: Viewer) -> StrategyList:
    return StrategyList(items=await services.strategies.find())


@strategies.get("/{name}")
async def get_strategy(name: str, services: ServicesDep, _: Viewer) -> StrategyOut:
    return await services.strategies.get(name)


@strategies.get("/{name}/versions")
async def strategy_versions(name: str, services: ServicesDep, _: Viewer) -> StrategyVersionList:
    return StrategyVersionList(items=await services.strategies.versions(name))


@strategies.delete("/{name}")
async def delete_strategy(name: str, services: ServicesDep, principal: Admin) -> StrategyOut:
    """Refused (409) while an application uses it."""
    return await services.strategies.delete(name, actor=principal.name)


class ControlIn(BaseModel):
    comment: str | None = Field(default=None, max_length=2000, description="Why; recorded in the audit log.")
    revision: int | None = Field(
        default=None,
        ge=1,
        le=INTEGER_MAX,
        description="The release revision you looked at: refused (409) if the rollout now carries another.",
    )


class ApproveIn(ControlIn):
    wave: str | None = Field(default=None, description="The wave you approve: refused (409) if another one waits.")


async def _control(
    services: ServicesDep, principal: Principal, application: str, action: str, body: ControlIn
) -> RolloutOut:
    return await services.rollouts.control(
        application,
        action,
        actor=principal.name,
        has_role=principal.has_role,
        comment=body.comment,
        wave=body.wave if isinstance(body, ApproveIn) else None,
        revision=body.revision,
    )


@rollouts.get("/applications/{application}/rollout")
async def rollout_status(
    application: str,
    services: ServicesDep,
    _: Viewer,
    run: Annotated[int | None, Query(ge=1, le=INTEGER_MAX, description="A run id; default: the newest run.")] = None,
) -> RolloutOut:
    """Waves, clusters per state, gates, approvals, and what the run waits for now."""
    return await services.rollouts.status(application, run)


@rollouts.get("/applications/{application}/rollouts")
async def rollout_history(application: str, services: ServicesDep, _: Viewer) -> RolloutList:
    return RolloutList(items=await services.rollouts.history(application))


@rollouts.post("/applications/{application}/rollout/approve")
async def approve(application: str, body: ApproveIn, services: ServicesDep, principal: Authenticated) -> RolloutOut:
    """Open the approval gate the run waits at. Needs the role the gate names (admin always may); the
    approval is bound to this run's release digest and recorded with who gave it."""
    return await _control(services, principal, application, "approve", body)


@rollouts.post("/applications/{application}/rollout/pause")
async def pause(application: str, body: ControlIn, services: ServicesDep, principal: Deployer) -> RolloutOut:
    """Nothing moves until resumed: no dispatch, no verdict."""
    return await _control(services, principal, application, "pause", body)


@rollouts.post("/applications/{application}/rollout/resume")
async def resume(application: str, body: ControlIn, services: ServicesDep, principal: Deployer) -> RolloutOut:
    """After a pause for a failed wave, the failed clusters get a fresh deadline and are judged again."""
    return await _control(services, principal, application, "resume", body)


@rollouts.post("/applications/{application}/rollout/abort")
async def abort(application: str, body: ControlIn, services: ServicesDep, principal: Deployer) -> RolloutOut:
    """Stop here: clusters keep what they have; nothing more is dispatched."""
    return await _control(services, principal, application, "abort", body)


@rollouts.post("/applications/{application}/rollout/rollback")
async def rollback(application: str, body: ControlIn, services: ServicesDep, principal: Deployer) -> RolloutOut:
    """Restore each cluster the run changed to its baseline, waves in reverse order."""
    return await _control(services, principal, application, "rollback", body)


@rollouts.get("/rollouts")
async def find_rollouts(
    services: ServicesDep,
    _: Viewer,
    active: Annotated[bool | None, Query(description="Only active (true) or finished (false) runs.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> RolloutList:
    """Runs across applications, newest first."""
    return RolloutList(items=await services.rollouts.history(active=active, limit=limit))


@rollouts.get("/rollouts/{run_id}")
async def get_rollout(
    run_id: Annotated[int, Path(ge=1, le=INTEGER_MAX)], services: ServicesDep, _: Viewer
) -> RolloutOut:
    return await services.rollouts.get(run_id)
