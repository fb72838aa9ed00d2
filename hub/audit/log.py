"""Writing the audit log: one row per change, added in the caller's transaction, so an entry commits or
rolls back together with the change it describes (never an entry for a change that did not happen, nor
a change without its entry)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.store import models

# Actions recorded by the hub's own services. Others (the rollout engine's) use the same
# "<subject>.<past participle>" form, so `action=rollout.` filters a family by prefix.
RELEASE_CREATED = "release.created"
APPLICATION_DELETED = "application.deleted"
CLUSTER_REGISTERED = "cluster.registered"
CLUSTER_RELABELLED = "cluster.relabelled"
CLUSTER_DEREGISTERED = "cluster.deregistered"
TOKEN_CREATED = "token.created"
TOKEN_REVOKED = "token.revoked"


async def record(
    session: AsyncSession,
    *,
    time: datetime,
    actor: str,
    action: str,
    application: str | None = None,
    cluster: str | None = None,
    strategy: str | None = None,
    run_id: int | None = None,
    revision: int | None = None,
    digest: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit event to `session`'s transaction. `actor` is a token's name, or `system:<component>`
    for the hub's own decisions. `details` must be JSON and must never hold a secret."""
    session.add(
        models.AuditEvent(
            time=time,
            actor=actor,
            action=action,
            application=application,
            cluster=cluster,
            strategy=strategy,
            run_id=run_id,
            revision=revision,
            digest=digest,
            reason=reason,
            details=details or {},
        )
    )
