"""/api/v1/policies: thin router over the policy service. The platform role publishes; any token reads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from hub.api.deps import Platform, ServicesDep, Viewer
from hub.api.errors import ERROR_RESPONSES
from hub.policies.service import Change
from hub.policies.views import BaselineList, PolicyList, PolicyOut, PolicyPut

router = APIRouter(prefix="/api/v1/policies", tags=["policies"], responses=ERROR_RESPONSES)

_CREATED: dict[int | str, dict[str, Any]] = {201: {"description": "The policy was created"}}


def _status(response: Response, change: Change) -> None:
    response.status_code = status.HTTP_201_CREATED if change is Change.CREATED else status.HTTP_200_OK


@router.get("")
async def list_policies(services: ServicesDep, _: Viewer) -> PolicyList:
    return PolicyList(items=await services.policies.find())


# Before /{name}: `baseline` is a reserved name, never a policy's.
@router.get("/baseline")
async def baseline_policies(services: ServicesDep, _: Viewer) -> BaselineList:
    """The baseline set shipped with the hub, and whether each is published and enabled as shipped."""
    return BaselineList(items=await services.policies.baseline())


@router.post("/baseline/{name}", responses=_CREATED)
async def enable_baseline(name: str, response: Response, services: ServicesDep, principal: Platform) -> PolicyOut:
    """Publish a shipped policy under its name, enabled (replacing a policy of that name)."""
    policy, change = await services.policies.enable_baseline(name, actor=principal.name)
    _status(response, change)
    return policy


@router.put("/{name}", responses=_CREATED)
async def put_policy(
    name: str, body: PolicyPut, response: Response, services: ServicesDep, principal: Platform
) -> PolicyOut:
    """Create or replace a policy. Every problem (a CEL expression that does not compile, a bad selector)
    is a 422 naming the policy and the validation. Unchanged: 200, nothing recorded."""
    spec = body.model_dump(mode="json", by_alias=True, exclude={"enabled", "origin"})
    policy, change = await services.policies.put(
        name, spec, actor=principal.name, enabled=body.enabled, origin=body.origin
    )
    _status(response, change)
    return policy


@router.get("/{name}")
async def get_policy(name: str, services: ServicesDep, _: Viewer) -> PolicyOut:
    return await services.policies.get(name)


@router.delete("/{name}")
async def delete_policy(name: str, services: ServicesDep, principal: Platform) -> PolicyOut:
    return await services.policies.delete(name, actor=principal.name)
