"""/api/v1/clusters: reading needs any valid token; registering, relabelling and deregistering admin."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field

from hub.api.deps import Admin, ServicesDep, viewer
from hub.api.errors import ERROR_RESPONSES
from hub.views import ClusterDeregistered, ClusterList, ClusterOut

router = APIRouter(
    prefix="/api/v1/clusters", tags=["clusters"], dependencies=[Depends(viewer)], responses=ERROR_RESPONSES
)


class ClusterCreate(BaseModel):
    id: str = Field(description="DNS-1123 label, e.g. prod-eu-1.")
    labels: dict[str, str] = Field(default_factory=dict)


class LabelsPut(BaseModel):
    labels: dict[str, str]


@router.post("", status_code=status.HTTP_201_CREATED)
async def register(body: ClusterCreate, services: ServicesDep, principal: Admin) -> ClusterOut:
    return await services.clusters.register(body.id, body.labels, actor=principal.name)


@router.get("")
async def find(services: ServicesDep, selector: str | None = None) -> ClusterList:
    return ClusterList(items=await services.clusters.find(selector))


@router.get("/{cluster_id}")
async def get(cluster_id: str, services: ServicesDep) -> ClusterOut:
    return await services.clusters.get(cluster_id)


@router.put("/{cluster_id}/labels")
async def set_labels(cluster_id: str, body: LabelsPut, services: ServicesDep, principal: Admin) -> ClusterOut:
    return await services.clusters.set_labels(cluster_id, body.labels, actor=principal.name)


@router.delete("/{cluster_id}")
async def deregister(cluster_id: str, services: ServicesDep, principal: Admin) -> ClusterDeregistered:
    return await services.clusters.deregister(cluster_id, actor=principal.name)
