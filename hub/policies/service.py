"""Policies in the store: published by the platform role, read by everyone, and the active set every
release is checked against (`active`, inside the release's transaction)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.log import record
from hub.errors import Invalid, NotFound
from hub.policies.baseline import baseline
from hub.policies.evaluate import Finding, denied
from hub.policies.spec import Policy, PolicyError, parse_spec
from hub.policies.views import BaselinePolicyOut, PolicyOut
from hub.services.context import ServiceContext
from hub.sources.origin import Origin
from hub.store import models

POLICY_CHANGED = "policy.changed"
POLICY_DELETED = "policy.deleted"
# GET /api/v1/policies/baseline is the shipped set: no policy may take that name.
RESERVED_NAMES = frozenset({"baseline"})


def refuse_denied(findings: list[Finding]) -> list[Finding]:
    """For the release path: Invalid (422) listing every deny finding, one per entry of `errors`
    (`policy P, cluster C, apps/Deployment ns/name: message`), if there is any; else the warnings, to be
    stored with the release."""
    refused = denied(findings)
    if refused:
        lines = [finding.describe() for finding in refused]
        raise Invalid(f"refused by policy: {'; '.join(lines)}", lines)
    return findings


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def _view(row: models.Policy) -> PolicyOut:
    return PolicyOut(
        name=row.name,
        enabled=row.enabled,
        description=row.spec.get("description", ""),
        action=row.spec["action"],
        spec=row.spec,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        origin=Origin.model_validate(row.origin) if row.origin else None,
    )


def checked(name: str, spec: Any) -> Policy:
    """The policy, or Invalid (422) listing every problem, each naming the policy."""
    if name in RESERVED_NAMES:
        raise Invalid(f"policy {name}: the name is reserved (GET /api/v1/policies/{name} is the shipped set)")
    try:
        return parse_spec(name, spec)
    except PolicyError as error:
        raise Invalid(str(error), error.problems) from error


class PolicyService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def put(
        self, name: str, spec: Any, *, actor: str, enabled: bool = True, origin: Origin | None = None
    ) -> tuple[PolicyOut, Change]:
        """Create or replace a policy. An unchanged one (same normalized spec, same enabled) is left as it
        is: no audit entry, Change.UNCHANGED."""
        dumped = checked(name, spec).spec.dump()
        async with self.ctx.writing() as session:
            row = await session.get(models.Policy, name)
            if row is not None and row.spec == dumped and row.enabled == enabled:
                return _view(row), Change.UNCHANGED
            now = self.ctx.clock()
            change = Change.UPDATED
            if row is None:
                change = Change.CREATED
                row = models.Policy(name=name, created_by=actor, created_at=now)
                session.add(row)
            row.spec = dumped
            row.enabled = enabled
            row.updated_at = now
            row.origin = origin.model_dump() if origin else None
            details: dict[str, Any] = {"policy": name, "change": str(change), "enabled": enabled, "spec": dumped}
            if origin is not None:
                details["origin"] = origin.model_dump()
            await record(session, time=now, actor=actor, action=POLICY_CHANGED, details=details)
            await session.flush()
            return _view(row), change

    async def get(self, name: str) -> PolicyOut:
        async with self.ctx.reading() as session:
            row = await session.get(models.Policy, name)
            if row is None:
                raise NotFound(f"policy {name} does not exist (fleetcast policy list shows those that do)")
            return _view(row)

    async def find(self) -> list[PolicyOut]:
        async with self.ctx.reading() as session:
            rows = await session.scalars(select(models.Policy).order_by(models.Policy.name))
            return [_view(row) for row in rows]

    async def delete(self, name: str, *, actor: str, origin: Origin | None = None) -> PolicyOut:
        async with self.ctx.writing() as session:
            row = await session.get(models.Policy, name)
            if row is None:
                raise NotFound(f"policy {name} does not exist (fleetcast policy list shows those that do)")
            view = _view(row)
            details: dict[str, Any] = {"policy": name, "spec": row.spec}
            if origin is not None:
                details["origin"] = origin.model_dump()
            await session.delete(row)
            await record(session, time=self.ctx.clock(), actor=actor, action=POLICY_DELETED, details=details)
            return view

    async def baseline(self) -> list[BaselinePolicyOut]:
        published = {p.name: p for p in await self.find()}
        items = []
        for name, policy in baseline().items():
            spec = policy.spec.dump()
            mine = published.get(name)
            items.append(
                BaselinePolicyOut(
                    name=name,
                    description=policy.description,
                    action=policy.action,
                    spec=spec,
                    enabled=mine is not None and mine.enabled and mine.spec == spec,
                )
            )
        return items

    async def enable_baseline(self, name: str, *, actor: str) -> tuple[PolicyOut, Change]:
        """Publish the shipped policy `name` as a policy of that name (replacing one there)."""
        shipped = baseline().get(name)
        if shipped is None:
            raise NotFound(f"no baseline policy {name}; the baseline set is {', '.join(baseline())}")
        return await self.put(name, shipped.spec.dump(), actor=actor)

    async def active(self, session: AsyncSession) -> list[Policy]:
        """The enabled policies, parsed and compiled, in name order: what a release is checked against.
        In the caller's transaction. A stored policy that no longer compiles is an error, never skipped."""
        rows = await session.scalars(
            select(models.Policy).where(models.Policy.enabled.is_(True)).order_by(models.Policy.name)
        )
        return [checked(row.name, row.spec) for row in rows]
