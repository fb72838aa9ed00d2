"""/api/v1/templates: a thin router over the template service. Platform engineers publish and delete;
anyone who may view reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from hub.api.deps import Platform, ServicesDep, Viewer
from hub.api.errors import ERROR_RESPONSES
from hub.store.types import INTEGER_MAX
from hub.templates.spec import TemplateIn
from hub.templates.views import TemplateList, TemplateOut

router = APIRouter(prefix="/api/v1/templates", tags=["templates"], responses=ERROR_RESPONSES)


@router.put("/{name}", responses={201: {"description": "A new revision of the template was made"}})
async def put_template(
    name: str, body: TemplateIn, response: Response, services: ServicesDep, principal: Platform
) -> TemplateOut:
    """Publish a template (a chart or Go-template manifests, with its parameter schema, locked values,
    the parameters operators may set per cluster, and its own per-cluster values). An unchanged template
    makes no new revision (200); a changed one does (201). Every problem is a 422 naming its field."""
    template, created = await services.templates.put(name, body, actor=principal.name)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return template


@router.get("")
async def list_templates(services: ServicesDep, _: Viewer) -> TemplateList:
    """Every template with its newest revision and its parameters summarized."""
    return TemplateList(items=await services.templates.find())


@router.get("/{name}")
async def get_template(
    name: str,
    services: ServicesDep,
    _: Viewer,
    revision: Annotated[
        int | None, Query(ge=1, le=INTEGER_MAX, description="An earlier revision; default: the newest")
    ] = None,
) -> TemplateOut:
    """The template: its parameter schema, defaults, locked values, what operators may set per cluster,
    its chart, and who published the revision when."""
    return await services.templates.get(name, revision)


@router.delete("/{name}")
async def delete_template(name: str, services: ServicesDep, principal: Platform) -> TemplateOut:
    """Its revisions stay readable with ?revision=N; publishing it again continues its revisions."""
    return await services.templates.delete(name, actor=principal.name)
