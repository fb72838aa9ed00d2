"""/api/v1/image-versions: a CI job or a registry webhook announces "image X has version V".

Authenticated by a token with the deployer role, or, for senders that cannot hold a token, by an
HMAC-SHA256 signature with the shared secret `FLEETCAST_HUB_IMAGE_WEBHOOK_SECRET` (hub/auth/signatures.py).
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.api.deps import ServicesDep, bearer_scheme
from hub.api.errors import ERROR_RESPONSES
from hub.auth.roles import Role
from hub.auth.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from hub.autoupdate.views import AnnouncementResult
from hub.errors import Forbidden, Invalid, Unauthorized

router = APIRouter(prefix="/api/v1", tags=["auto-update"], responses=ERROR_RESPONSES)


class Announcement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image: str = Field(max_length=230, description="The image, e.g. nginx or ghcr.io/acme/api.")
    version: str = Field(
        max_length=255, description="Its new version tag, optionally with a digest: 1.27.5 or 1.27.5@sha256:..."
    )


@router.post(
    "/image-versions",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": Announcement.model_json_schema()}},
        },
        "parameters": [
            {"name": TIMESTAMP_HEADER, "in": "header", "required": False, "schema": {"type": "string"}},
            {"name": SIGNATURE_HEADER, "in": "header", "required": False, "schema": {"type": "string"}},
        ],
    },
)
async def announce(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> AnnouncementResult:
    """Every application whose auto-update policy allows the version gets a release through an image
    override, under the policy's strategy; the answer lists each application with a policy for the image."""
    body = await request.body()
    settings = services.settings
    secret = settings.image_webhook_secret
    if credentials is None and secret is not None and request.headers.get(SIGNATURE_HEADER) is not None:
        problem = verify(
            secret.get_secret_value().encode(),
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
            now=time.time(),
            tolerance=settings.image_webhook_tolerance_seconds,
        )
        if problem:
            raise Unauthorized(f"image-version webhook: {problem}")
        announced_by = "webhook"
    else:
        principal = await services.tokens.authenticate(credentials.credentials if credentials else None)
        if not principal.has_role(Role.DEPLOYER):
            raise Forbidden(f"announcing image versions needs the deployer role; {principal.describe()}")
        announced_by = principal.name
    try:
        announcement = Announcement.model_validate_json(body)
    except ValidationError as error:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()]
        raise Invalid("invalid announcement: " + "; ".join(problems), problems) from error
    return await services.autoupdate.announce(announcement.image, announcement.version, announced_by=announced_by)
