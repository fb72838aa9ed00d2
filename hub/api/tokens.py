"""/api/v1/tokens (admin) and /api/v1/whoami (any valid token)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from hub.api.deps import Admin, Authenticated, ServicesDep
from hub.api.errors import ERROR_RESPONSES
from hub.auth.roles import Role
from hub.auth.views import TokenCreated, TokenList, TokenOut, WhoAmI

router = APIRouter(prefix="/api/v1", tags=["access"], responses=ERROR_RESPONSES)


class TokenCreate(BaseModel):
    name: str = Field(description="Who acts with the token (a DNS-1123 label); the audit log records it.")
    roles: list[str] = Field(
        description=f"{', '.join(Role)}, or custom roles (DNS-1123 labels) for approval gates that name them."
    )
    expires_in_seconds: int | None = Field(
        default=None, gt=0, le=100 * 365 * 86400, description="Omitted: the token does not expire."
    )


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
async def create(body: TokenCreate, services: ServicesDep, principal: Admin) -> TokenCreated:
    expires_in = timedelta(seconds=body.expires_in_seconds) if body.expires_in_seconds is not None else None
    token, bearer = await services.tokens.create(
        body.name, body.roles, created_by=principal.name, expires_in=expires_in
    )
    return TokenCreated(**token.model_dump(), token=bearer)


@router.get("/tokens")
async def find(services: ServicesDep, _principal: Admin) -> TokenList:
    return TokenList(items=await services.tokens.find())


@router.delete("/tokens/{token_id}")
async def revoke(token_id: str, services: ServicesDep, principal: Admin) -> TokenOut:
    return await services.tokens.revoke(token_id, actor=principal.name)


@router.get("/whoami")
async def whoami(principal: Authenticated) -> WhoAmI:
    return WhoAmI(name=principal.name, roles=sorted(principal.roles), token_id=principal.token_id)
