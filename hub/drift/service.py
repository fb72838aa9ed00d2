"""The fleet-wide drift list, and the drift gauge computed from the index when /metrics is scraped."""

from __future__ import annotations

from hub.drift import store
from hub.drift.cursors import DEFAULT_LIMIT, CursorError, decode_cursor, encode_cursor
from hub.drift.views import DriftListOut, entry_out
from hub.errors import Invalid
from hub.services.context import ServiceContext
from schemas.v1 import is_dns_label


def _check_name(what: str, value: str | None) -> None:
    if value is not None and not is_dns_label(value):
        raise Invalid(f"{what} {value[:80]!r} is not a valid {what} id (a DNS-1123 label)")


class DriftService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def list(
        self,
        *,
        application: str | None = None,
        cluster: str | None = None,
        drifting: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> DriftListOut:
        """Objects drifting (`drifting`: only those) or corrected before, fleet-wide or filtered; a page
        at a time. Unknown applications or clusters give an empty list, as a filter does."""
        _check_name("application", application)
        _check_name("cluster", cluster)
        try:
            after = decode_cursor(cursor)
        except CursorError as error:
            raise Invalid(str(error)) from error
        query = store.DriftQuery(application=application, cluster=cluster, drifting_only=drifting)
        async with self.ctx.reading() as session:
            found = await store.page(session, query, limit=limit or DEFAULT_LIMIT, cursor=after)
            items = [entry_out(e) for e in found.entries]
        return DriftListOut(
            total=found.total,
            drifting=found.drifting,
            items=items,
            next_cursor=encode_cursor(found.next_cursor) if found.next_cursor else None,
        )
