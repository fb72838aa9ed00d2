"""Which audit events a reader asked for. Pure: the filters checked, and the action filter's meaning.

Pages run newest first. A page that is full carries `next_before`, the id to pass as `before` for the
next (older) page; ids only grow, so paging is stable while new events arrive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

# `release.created` exactly, or a prefix ending in a dot (`rollout.`) for a whole family of actions.
_ACTION = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9_-]+)*\.?$")


class AuditQueryError(ValueError):
    """A filter that cannot be used; the message names it."""


@dataclass(frozen=True)
class ActionFilter:
    text: str
    prefix: bool


@dataclass(frozen=True)
class AuditQuery:
    application: str | None = None
    actor: str | None = None
    action: ActionFilter | None = None
    cluster: str | None = None
    run_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = DEFAULT_LIMIT
    before: int | None = None


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    # A time without a zone is read as UTC, the zone everything in the log is in.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def action_filter(action: str | None) -> ActionFilter | None:
    if action is None or action == "":
        return None
    if not _ACTION.match(action):
        raise AuditQueryError(
            f"action: {action!r} is not an action (e.g. release.created) nor a prefix ending in a dot (e.g. rollout.)"
        )
    return ActionFilter(action, prefix=action.endswith("."))


def audit_query(
    *,
    application: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    cluster: str | None = None,
    run_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    before: int | None = None,
) -> AuditQuery:
    """The query, or an AuditQueryError naming the first filter that cannot be used."""
    if not 1 <= limit <= MAX_LIMIT:
        raise AuditQueryError(f"limit: {limit} is out of range: 1 to {MAX_LIMIT}")
    if before is not None and before < 1:
        raise AuditQueryError(f"before: {before} is not an event id (ids start at 1)")
    start, end = _utc(since), _utc(until)
    if start is not None and end is not None and start > end:
        raise AuditQueryError(f"since: {start.isoformat()} is after until ({end.isoformat()})")
    return AuditQuery(
        application=application or None,
        actor=actor or None,
        action=action_filter(action),
        cluster=cluster or None,
        run_id=run_id,
        since=start,
        until=end,
        limit=limit,
        before=before,
    )


def next_before(ids: list[int], limit: int) -> int | None:
    """The cursor of the next page: the oldest id of a full page; None when this page is the last."""
    return min(ids) if len(ids) == limit and ids else None
