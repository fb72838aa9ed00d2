"""How routers reach the services: everything lives on app.state, put there by the lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from hub.metrics import HubMetrics
from hub.services.applications import ApplicationService
from hub.services.clusters import ClusterService
from hub.services.fleet import FleetService
from hub.services.reports import ReportService

# Who changes are recorded as until the API authenticates its callers (it will name the token).
UNAUTHENTICATED = "system:unauthenticated"


@dataclass
class Services:
    clusters: ClusterService
    applications: ApplicationService
    fleet: FleetService
    reports: ReportService
    metrics: HubMetrics


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
