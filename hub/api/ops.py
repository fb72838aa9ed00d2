"""/healthz (the process answers), /readyz (database and Kafka reachable), /metrics."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from hub.api.deps import ServicesDep
from hub.store.database import ping
from hub.topics import TopicManager

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 3.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


class Readiness(BaseModel):
    status: str = Field(description="ok, or unavailable")
    database: str = Field(description="ok, or why the database cannot be reached")
    kafka: str = Field(description="ok, or why Kafka cannot be reached")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "The database or Kafka cannot be reached; says which"}},
)
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(ping(request.app.state.engine), PROBE_TIMEOUT_SECONDS)
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"unreachable: {error!r}"
    topics: TopicManager = request.app.state.topics
    try:
        await asyncio.wait_for(topics.ping(), PROBE_TIMEOUT_SECONDS)
        checks["kafka"] = "ok"
    except Exception as error:
        checks["kafka"] = f"unreachable: {error!r}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ready else "unavailable", **checks}, status_code=200 if ready else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format",
            "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
        }
    },
)
async def metrics(services: ServicesDep) -> Response:
    # Only what is in memory: the gauges from the store are refreshed by hub/observability/collector.py.
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)
