"""The body of `PUT /api/v1/applications/{id}` and the one way it is carried out, shared by the router,
the diff preview and `fleetcast sync` (which must not import the API layer)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from hub.auth.roles import Principal, Role
from hub.errors import Invalid
from hub.services.applications import KEEP, ApplicationService
from hub.sources.change import SourceChange, parse_change
from hub.sources.origin import Origin
from hub.sources.spec import SourceError
from hub.views import ApplicationOut


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
    applications: ApplicationService,
    principal: Principal,
    application_id: str,
    body: ApplicationPut,
    origin: Origin | None = None,
) -> tuple[ApplicationOut, bool]:
    """A PUT of `body` by `principal`: the router's and `fleetcast sync`'s one way to change an
    application. The application after it, and whether a new release was made."""
    given = body.model_fields_set
    source = source_change(application_id, body)
    return await applications.put(
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
