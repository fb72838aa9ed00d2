"""What the tokens API returns. Never a hash; the secret only once, in TokenCreated."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="Public part of the token: safe to show, log and revoke by.")
    name: str = Field(description="Who acts with it; recorded as the actor in the audit log.")
    roles: list[str]
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(description="Refreshed at most once a minute.")


class TokenCreated(TokenOut):
    token: str = Field(description="The bearer token, secret included. Shown this once; only a hash is kept.")


class TokenList(BaseModel):
    items: list[TokenOut]


class WhoAmI(BaseModel):
    name: str
    roles: list[str]
    token_id: str | None
