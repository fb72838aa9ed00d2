"""How routers reach the services (everything lives on app.state, put there by the lifespan), and who
the caller is: a bearer token turned into a Principal, and the role a route needs.

    async def put(..., principal: Deployer) -> ...     # 401 without a valid token, 403 without the role

`Authenticated` accepts any valid token (a route that checks a role of its own, e.g. an approval gate's);
`Viewer` is the same check under the name of what it allows. A router whose every route reads declares
`dependencies=[Depends(viewer)]`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub.audit.service import AuditService
from hub.auth.roles import Principal, Role
from hub.auth.service import TokenService
from hub.autoupdate.service import AutoUpdateService
from hub.campaigns.service import CampaignService
from hub.describe.service import DescribeService
from hub.diffs.service import DiffService
from hub.drift.service import DriftService
from hub.errors import Forbidden
from hub.fleetcode.service import SyncService
from hub.images.service import ImageService
from hub.kubeevents.service import KubeEventService
from hub.metrics import HubMetrics
from hub.notifications.service import NotificationService
from hub.policies.service import PolicyService
from hub.rollouts.service import RolloutService, StrategyService
from hub.services.applications import ApplicationService
from hub.services.clusters import ClusterService
from hub.services.fleet import FleetService
from hub.services.reports import ReportService
from hub.settings import HubSettings
from hub.templates.service import TemplateService


@dataclass
class Services:
    clusters: ClusterService
    applications: ApplicationService
    fleet: FleetService
    reports: ReportService
    tokens: TokenService
    audit: AuditService
    strategies: StrategyService
    rollouts: RolloutService
    campaigns: CampaignService
    autoupdate: AutoUpdateService
    metrics: HubMetrics
    diffs: DiffService
    notifications: NotificationService
    images: ImageService
    settings: HubSettings
    # Drift, Kubernetes Events and describe (issue 8).
    drift: DriftService
    kube_events: KubeEventService
    describe: DescribeService
    # Templates with constrained parameters (issue 9).
    templates: TemplateService
    # Policies (issue 9).
    policies: PolicyService
    # The fleet as code (issue 9).
    fleet_code: SyncService


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

# auto_error=False: a missing header is answered by `authenticated` in the API's own error shape (and
# with the hint where the CLI finds its token); the scheme still shows in the OpenAPI document.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A Fleetcast API token, fct_<id>_<secret> (`fleetcast token create`).",
)


async def authenticated(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller, from a valid token; 401 otherwise. FastAPI runs it once per request, however many
    dependencies of a route need it."""
    return await services.tokens.authenticate(credentials.credentials if credentials else None)


def requiring(role: Role) -> Callable[[Principal, Request], Awaitable[Principal]]:
    async def check(principal: Annotated[Principal, Depends(authenticated)], request: Request) -> Principal:
        if not principal.has_role(role):
            raise Forbidden(f"{request.method} {request.url.path} needs the {role} role; {principal.describe()}")
        return principal

    check.__name__ = f"require_{role}"
    return check


viewer = requiring(Role.VIEWER)
deployer = requiring(Role.DEPLOYER)
platform = requiring(Role.PLATFORM)
admin = requiring(Role.ADMIN)

Authenticated = Annotated[Principal, Depends(authenticated)]
Viewer = Annotated[Principal, Depends(viewer)]
Deployer = Annotated[Principal, Depends(deployer)]
Platform = Annotated[Principal, Depends(platform)]
Admin = Annotated[Principal, Depends(admin)]
