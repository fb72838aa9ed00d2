"""What an application PUT does with `depends_on`: check it (DNS labels, no cycle) and set it. A change
of dependencies alone makes no release: it only decides when later bundles go (and releases, or
re-words, the bundles held now)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.log import record
from hub.dependencies.dispatcher import release_ready
from hub.dependencies.graph import cycle, cycle_text
from hub.dependencies.store import dependency_graph
from hub.errors import Invalid
from hub.store import models
from schemas.v1 import is_dns_label

DEPENDENCIES_CHANGED = "application.dependencies-changed"


def parse_depends_on(application_id: str, source: Sequence[str]) -> list[str]:
    """The dependencies as stored: in the order given, each once. Invalid names every bad one."""
    bad = [name for name in source if not isinstance(name, str) or not is_dns_label(name)]
    if bad:
        raise Invalid(
            f"application {application_id}: depends_on: not application ids (DNS-1123 labels): "
            + ", ".join(repr(b) for b in bad)
        )
    return list(dict.fromkeys(source))


async def check_no_cycle(session: AsyncSession, application_id: str, deps: Sequence[str]) -> None:
    """Invalid naming the cycle if `application_id` depending on `deps` would close one."""
    if not deps:
        return
    found = cycle(await dependency_graph(session), application_id, deps)
    if found is not None:
        raise Invalid(f"application {application_id}: dependency cycle: {cycle_text(found)}")


async def set_dependencies(
    session: AsyncSession, app: models.Application, deps: list[str], *, actor: str, now: datetime
) -> bool:
    """In the caller's write transaction: `app` depends on `deps` from now on; recorded in the audit log
    when it changed, and its held bundles are judged again (released if they may go now). Whether it
    changed."""
    previous = list(app.depends_on or [])
    if previous == deps:
        return False
    app.depends_on = deps
    app.updated_at = now
    await record_change(session, app, previous, actor=actor, now=now)
    await session.flush()
    await release_ready(session, now, [app.id])
    return True


async def record_change(
    session: AsyncSession, app: models.Application, previous: list[str], *, actor: str, now: datetime
) -> None:
    """The audit event of `app`'s dependencies changing from `previous` to what it has now."""
    await record(
        session,
        time=now,
        actor=actor,
        action=DEPENDENCIES_CHANGED,
        application=app.id,
        revision=app.revision,
        details={"previous": previous, "depends_on": list(app.depends_on or [])},
    )
