"""/api/v1/images/{image}/versions: which clusters, applications and containers run an image at which
versions, as spokes report. Any valid token may read it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from hub.api.deps import ServicesDep, viewer
from hub.api.errors import ERROR_RESPONSES
from hub.images.query import MAX_LIMIT
from hub.images.views import ImageVersionsOut

router = APIRouter(prefix="/api/v1", tags=["images"], dependencies=[Depends(viewer)], responses=ERROR_RESPONSES)


@router.get("/images/{image:path}/versions")
async def image_versions(
    image: str,
    services: ServicesDep,
    older_than: Annotated[str | None, Query(description="Only versions below this one, e.g. 1.27.4.")] = None,
    newer_than: Annotated[str | None, Query(description="Only versions above this one.")] = None,
    not_: Annotated[
        list[str] | None, Query(alias="not", description="Leave out this tag or digest (sha256:...); repeatable.")
    ] = None,
    selector: Annotated[str | None, Query(description="Only clusters matching this label selector.")] = None,
    application: Annotated[str | None, Query(description="Only this application.")] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="Rows per page of each list (100).")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
    unordered_cursor: Annotated[str | None, Query(description="`unordered_next_cursor` of the previous page.")] = None,
) -> ImageVersionsOut:
    """The containers running `image` (`nginx`, `bitnami/redis`, `ghcr.io/org/app`, `localhost:5000/web`:
    normalised the Docker way) at a version in the bounds, per cluster, application, object and
    container, with exact totals; tags that are no version (`latest`) and digest-only references
    apart, never ordered. Tags compare numerically (`1.27.10` > `1.27.9`), a `v` prefix is ignored,
    pre-releases are below their release, variants (`-alpine`) do not change the version. A version
    or image that cannot be read is a 422 naming it."""
    return await services.images.versions(
        image,
        older_than=older_than,
        newer_than=newer_than,
        excluded=not_,
        selector=selector,
        application=application,
        limit=limit,
        cursor=cursor,
        unordered_cursor=unordered_cursor,
    )
