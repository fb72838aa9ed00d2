"""The version query as a service: which clusters, applications and containers run an image at
which versions, as spokes report it."""

from __future__ import annotations

from hub.errors import Invalid
from hub.images import store
from hub.images.query import QueryError, decode_cursor, encode_cursor, page_limit, version_query
from hub.images.views import ImageVersionsOut, image_row, query_out, summary, totals_out
from hub.selectors import SelectorError, parse_selector
from hub.services.context import ServiceContext


class ImageService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def versions(
        self,
        image: str,
        *,
        older_than: str | None = None,
        newer_than: str | None = None,
        excluded: list[str] | None = None,
        selector: str | None = None,
        application: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        unordered_cursor: str | None = None,
    ) -> ImageVersionsOut:
        try:
            query = version_query(
                image,
                older_than=older_than,
                newer_than=newer_than,
                excluded=excluded,
                application=application,
                selector=selector,
            )
            rows_limit = page_limit(limit)
            after = decode_cursor(cursor)
            unordered_after = decode_cursor(unordered_cursor, "unordered_cursor")
            parsed_selector = parse_selector(selector)
        except (QueryError, SelectorError) as error:
            raise Invalid(str(error)) from error
        async with self.ctx.reading() as session:
            found = await store.answer(
                session,
                query,
                limit=rows_limit,
                cursor=after,
                unordered_cursor=unordered_after,
                selector=parsed_selector,
            )
        ordered, apart = found.ordered, found.apart
        return ImageVersionsOut(
            image=query.repository,
            query=query_out(query),
            summary=summary(query, ordered.totals),
            totals=totals_out(ordered.totals),
            items=[image_row(e) for e in ordered.entries],
            next_cursor=encode_cursor(ordered.next_cursor) if ordered.next_cursor else None,
            unordered_totals=totals_out(apart.totals),
            unordered=[image_row(e) for e in apart.entries],
            unordered_next_cursor=encode_cursor(apart.next_cursor) if apart.next_cursor else None,
        )
