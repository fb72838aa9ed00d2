"""/api/v1/audit: the audit log, newest first, for any valid token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BeforeValidator

from hub.api.deps import ServicesDep, Viewer
from hub.api.errors import ERROR_RESPONSES
from hub.audit.query import DEFAULT_LIMIT, MAX_LIMIT, AuditQueryError, audit_query
from hub.audit.views import AuditPage
from hub.errors import Invalid
from hub.store.types import BIGINT_MAX, INTEGER_MAX

router = APIRouter(prefix="/api/v1", tags=["audit"], responses=ERROR_RESPONSES)


def _not_a_number(value: object) -> object:
    """The OpenAPI document says date-time; pydantic would also take a number (Unix time): not here."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return value
        raise ValueError(f"{value!r} is not an ISO 8601 time such as 2026-11-22T10:00:00Z")
    return value


Time = Annotated[datetime | None, BeforeValidator(_not_a_number)]


@router.get("/audit")
async def audit(
    services: ServicesDep,
    _principal: Viewer,
    application: str | None = None,
    actor: Annotated[str | None, Query(description="A token's name, or system:<component>.")] = None,
    action: Annotated[
        str | None, Query(description="An action (release.created), or a prefix ending in a dot (rollout.).")
    ] = None,
    cluster: str | None = None,
    run: Annotated[int | None, Query(ge=1, le=INTEGER_MAX, description="A rollout run's id.")] = None,
    since: Annotated[Time, Query(description="ISO 8601; without a zone: UTC.")] = None,
    until: Annotated[Time, Query(description="ISO 8601; without a zone: UTC.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    before: Annotated[
        int | None,
        Query(ge=1, le=BIGINT_MAX, description="Only events older than this id: the previous page's next_before."),
    ] = None,
) -> AuditPage:
    try:
        query = audit_query(
            application=application,
            actor=actor,
            action=action,
            cluster=cluster,
            run_id=run,
            since=since,
            until=until,
            limit=limit,
            before=before,
        )
    except AuditQueryError as error:
        raise Invalid(f"invalid audit filter: {error}") from error
    return await services.audit.find(query)
