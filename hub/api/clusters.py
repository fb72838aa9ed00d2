"""/api/v1/clusters"""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from hub.api.deps import UNAUTHENTICATED, ServicesDep
from hub.views import ClusterDeregistered, ClusterList, ClusterOut

router = APIRouter(prefix="/api/v1/clusters", tags=["clusters"])


class ClusterCreate(BaseModel):
    id: str = Field(description="DNS-1123 label, e.g. prod-eu-1.")
    labels: dict[str, str] = Field(default_factory=dict)


class LabelsPut(BaseModel):
    labels: dict[str, str]


@router.post("", status_code=status.HTTP_201_CREATED)
async def register(body: ClusterCreate, services: ServicesDep) -> ClusterOut:
    return await services.clusters.register(body.id, body.labels, actor=UNAUTHENTICATED)


@router.get("")
async def find(services: ServicesDep, selector: str | None = None) -> ClusterList:
    return ClusterList(items=await services.clusters.find(selector))


@router.get("/{cluster_id}")
async def get(cluster_id: str, services: ServicesDep) -> ClusterOut:
    return await services.clusters.get(cluster_id)


@router.put("/{cluster_id}/labels")
async def set_labels(cluster_id: str, body: LabelsPut, services: ServicesDep) -> ClusterOut:
    return await services.clusters.set_labels(cluster_id, body.labels, actor=UNAUTHENTICATED)


@router.delete("/{cluster_id}")
async def deregister(cluster_id: str, services: ServicesDep) -> ClusterDeregistered:
    return await services.clusters.deregister(cluster_id, actor=UNAUTHENTICATED)
