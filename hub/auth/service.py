"""Tokens in the store: create (the secret is returned once), list, revoke, and authenticate a request's
bearer token into a Principal. Token changes are audited in their own transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from hub.audit.log import TOKEN_CREATED, TOKEN_REVOKED, record
from hub.auth.roles import Principal, RoleError, check_roles, check_token_name
from hub.auth.tokens import MalformedToken, expiry, is_expired, new_token, parse_token, secret_matches, should_touch
from hub.auth.views import TokenOut
from hub.errors import Invalid, NotFound, Unauthorized
from hub.services.context import ServiceContext
from hub.store import models

CLI_HINT = "the CLI reads FLEETCAST_TOKEN or ~/.config/fleetcast/config.yaml"
MISSING = f"missing bearer token: pass Authorization: Bearer <token> ({CLI_HINT})"
ASK_ADMIN = "ask an admin for a token (`fleetcast token create`)"


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class TokenService:
    def __init__(self, ctx: ServiceContext) -> None:
        # Only the sessions and the clock: the bootstrap command runs this without Kafka.
        self.ctx = ctx

    async def create(
        self, name: str, roles: list[str], *, created_by: str, expires_in: timedelta | None = None
    ) -> tuple[TokenOut, str]:
        """The new token, and its bearer string: the only time the secret exists outside the client."""
        try:
            check_token_name(name)
            checked_roles = check_roles(roles)
        except RoleError as error:
            raise Invalid(str(error)) from error
        if expires_in is not None and expires_in <= timedelta(0):
            raise Invalid(f"invalid expiry {expires_in.total_seconds():g}s: must be in the future")
        token = new_token()
        async with self.ctx.sessions.begin() as session:
            now = self.ctx.clock()
            row = models.Token(
                id=token.id,
                name=name,
                roles=checked_roles,
                secret_hash=token.secret_hash,
                created_at=now,
                created_by=created_by,
                expires_at=expiry(now, expires_in),
            )
            session.add(row)
            await record(
                session,
                time=now,
                actor=created_by,
                action=TOKEN_CREATED,
                details={
                    "token_id": token.id,
                    "name": name,
                    "roles": checked_roles,
                    "expires_at": _when(row.expires_at) if row.expires_at else None,
                },
            )
        return TokenOut.model_validate(row), token.bearer

    async def find(self) -> list[TokenOut]:
        async with self.ctx.reading() as session:
            rows = await session.scalars(select(models.Token).order_by(models.Token.created_at, models.Token.id))
            return [TokenOut.model_validate(row) for row in rows]

    async def revoke(self, token_id: str, *, actor: str) -> TokenOut:
        """Revoked at once for every later request. Revoking a revoked token changes (and records) nothing."""
        async with self.ctx.sessions.begin() as session:
            row = await session.get(models.Token, token_id)
            if row is None:
                raise NotFound(f"token {token_id} does not exist (`fleetcast token list` shows the ids)")
            if row.revoked_at is None:
                row.revoked_at = self.ctx.clock()
                await record(
                    session,
                    time=row.revoked_at,
                    actor=actor,
                    action=TOKEN_REVOKED,
                    details={"token_id": row.id, "name": row.name, "roles": list(row.roles)},
                )
            return TokenOut.model_validate(row)

    async def authenticate(self, bearer: str | None) -> Principal:
        if not bearer:
            raise Unauthorized(MISSING)
        try:
            token_id, secret = parse_token(bearer)
        except MalformedToken as error:
            raise Unauthorized(f"{error}; {CLI_HINT}") from error
        # A read; the last use is written (in a transaction of its own) only now and then (should_touch),
        # so that a request that reads never takes the database's write lock.
        async with self.ctx.reading() as session:
            row = await session.get(models.Token, token_id)
            # Unknown or wrong secret look the same: a guess learns nothing about which tokens exist.
            if row is None or not secret_matches(secret, row.secret_hash):
                raise Unauthorized(f"invalid bearer token {token_id}: no such token, or a wrong secret; {ASK_ADMIN}")
            now = self.ctx.clock()
            if row.revoked_at is not None:
                raise Unauthorized(f"token {row.id} ({row.name}) was revoked at {_when(row.revoked_at)}; {ASK_ADMIN}")
            if is_expired(row.expires_at, now):
                assert row.expires_at is not None
                raise Unauthorized(f"token {row.id} ({row.name}) expired at {_when(row.expires_at)}; {ASK_ADMIN}")
            principal = Principal(name=row.name, roles=frozenset(row.roles), token_id=row.id)
            touch = should_touch(row.last_used_at, now)
        if touch:
            async with self.ctx.storing() as session:
                await session.execute(
                    update(models.Token).where(models.Token.id == principal.token_id).values(last_used_at=now)
                )
        return principal
