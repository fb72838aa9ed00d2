"""/api/v1/applications: reading needs any valid token; a PUT or DELETE the deployer role."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, Field

from hub.api.deps import Deployer, Services, ServicesDep, viewer
from hub.api.errors import ERROR_RESPONSES
from hub.auth.roles import Principal, Role
from hub.errors import Invalid
from hub.services.applications import KEEP
from hub.sources.change import SourceChange, parse_change
from hub.sources.origin import Origin
from hub.sources.spec import SourceError
from hub.views import ApplicationDeleted, ApplicationList, ApplicationOut, ReleaseList, RenderedManifests

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
    chart: dict[str, Any] | None = Field(
        default=None,
        description='A Helm chart instead of manifests: {"archive": "<base64 of the chart .tgz>"} (`helm package`, or '
        "`fleetcast apply --chart DIR`). Rendered for every selected cluster with a real Helm, its values.schema.json "
        "enforced; a chart that does not render is a 422 naming the chart, template, line and clusters.",
    )
    template: str | None = Field(
        default=None,
        description="A published template's name instead of manifests or a chart: the application is made from its "
        "newest revision; values outside its parameters, or overriding what it locks, are a 422 naming the parameter.",
    )
    values: dict[str, Any] | None = Field(
        default=None,
        description="Values for the chart or template; strings may say ${cluster.name}, ${cluster.labels.KEY} or "
        "${cluster.kubernetesVersion} ($${ for a literal ${). Omitted: keep them.",
    )
    cluster_values: list[dict[str, Any]] | None = Field(
        default=None,
        description='Per-cluster values: [{"selector": "region=eu", "values": {...}}], over `values` where the '
        "selector matches the cluster's labels (later entries win). Omitted: keep them.",
    )
    namespace: str | None = Field(
        default=None,
        description="For a chart or template: the namespace its namespaced objects that name none go to "
        "(`helm install -n`). Default: default.",
    )
    origin: Origin | None = Field(
        default=None,
        description="Where this change comes from (repository, path, commit, file): recorded on the release and in "
        "the audit log. `fleetcast sync` sets it.",
    )
    depends_on: list[str] | None = Field(
        default=None,
        description="Applications that must be Ready on a cluster before this one's bundles are sent there "
        '(dependsOn): ["db", "cache"]; they need not exist yet. [] or null clears; omitted: keep them. A change '
        'of them alone makes no release. A cycle is a 422: "dependency cycle: web -> api -> web".',
    )


def source_change(application_id: str, body: ApplicationPut) -> SourceChange:
    """What the body says of the application's source: a 422 naming the field when it is wrong."""
    try:
        return parse_change(
            chart=body.chart,
            template=body.template,
            values=body.values,
            cluster_values=body.cluster_values,
            namespace=body.namespace,
        )
    except SourceError as error:
        raise Invalid(f"application {application_id}: {error}") from error


async def put_application(
    services: Services, principal: Principal, application_id: str, body: ApplicationPut, origin: Origin | None = None
) -> tuple[ApplicationOut, bool]:
    """A PUT of `body` by `principal`: the router's and `fleetcast sync`'s one way to change an
    application. The application after it, and whether a new release was made."""
    given = body.model_fields_set
    source = source_change(application_id, body)
    return await services.applications.put(
        application_id,
        body.manifests,
        body.selector,
        actor=principal.name,
        strategy=body.strategy if "strategy" in given else KEEP,
        may_change_strategy=principal.has_role(Role.ADMIN),
        image_overrides=(body.image_overrides or {}) if "image_overrides" in given else KEEP,
        auto_update=(body.auto_update or []) if "auto_update" in given else KEEP,
        drift=(body.drift or {}) if "drift" in given else KEEP,
        source=source,
        origin=origin or body.origin,
        depends_on=(body.depends_on or []) if "depends_on" in given else KEEP,
    )


@router.put("/{application_id}", responses={201: {"description": "A new release was made"}})
async def put(
    application_id: str, body: ApplicationPut, response: Response, services: ServicesDep, principal: Deployer
) -> ApplicationOut:
    application, created = await put_application(services, principal, application_id, body)
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
