"""The image index in the database: replacing a (cluster, application)'s rows when its report is
stored, and the version query over them. Rows are paged in the order of ix_image_index_version
(repository, version key, cluster, application, position); the counts read that index or
ix_image_index_cluster alone, never the table.

On PostgreSQL `version_key` is collated "C", so `<` and `>` compare bytes, as the key's encoding
needs; SQLite compares text bytewise anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, ScalarSelect, and_, delete, func, insert, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from hub.images.index import IndexRow
from hub.images.query import Position, VersionQuery
from hub.images.tags import VersionKey
from hub.rollouts.store import chunked
from hub.selectors import Selector
from hub.store import models

Entry = models.ImageIndexEntry


def _pair_conditions(part: Sequence[tuple[str, str]]) -> list[ColumnElement[bool]]:
    # The cluster list lets SQLite search the primary key: a row-value IN alone scans the table
    # (400 ms at 400,000 rows, against 0.3 ms).
    clusters = sorted({cluster for cluster, _ in part})
    return [Entry.cluster_id.in_(clusters), tuple_(Entry.cluster_id, Entry.application_id).in_(part)]


async def replace_rows(session: AsyncSession, rows: Mapping[tuple[str, str], Sequence[IndexRow]]) -> None:
    """Make each (cluster, application)'s rows exactly `rows[...]`, in the caller's transaction.
    Most reports change health, not images: the rows are read first (one SELECT per chunk of pairs)
    and only the pairs whose rows differ are rewritten (one DELETE per chunk, one multi-row INSERT).
    The statuses they belong to must be flushed already (a foreign key points at them)."""
    pairs = sorted(rows)
    stored: dict[tuple[str, str], list[dict[str, Any]]] = {pair: [] for pair in pairs}
    columns = Entry.__table__.columns
    for part in chunked(pairs):
        found = await session.execute(select(*columns).where(*_pair_conditions(part)).order_by(Entry.position))
        for row in found:
            stored[(row.cluster_id, row.application_id)].append(dict(row._mapping))
    wanted = {pair: [row.values(*pair) for row in rows[pair]] for pair in pairs}
    changed = [pair for pair in pairs if wanted[pair] != stored[pair]]
    for part in chunked(changed):
        await session.execute(delete(Entry).where(*_pair_conditions(part)))
    values = [value for pair in changed for value in wanted[pair]]
    if values:
        await session.execute(insert(Entry), values)


def _filters(query: VersionQuery, *, ordered: bool) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Entry.repository == query.repository]
    if ordered:
        conditions.append(Entry.version_key.is_not(None))
        if query.upper is not None:
            conditions.append(Entry.version_key < query.upper)
        if query.lower is not None:
            conditions.append(Entry.version_key > query.lower)
    else:
        conditions.append(Entry.version_key.is_(None))
    if query.application is not None:
        conditions.append(Entry.application_id == query.application)
    if query.excluded_tags:
        conditions.append(or_(Entry.tag.is_(None), Entry.tag.not_in(query.excluded_tags)))
    if query.excluded_digests:
        conditions.append(or_(Entry.digest.is_(None), Entry.digest.not_in(query.excluded_digests)))
    return conditions


def _order(ordered: bool) -> tuple[ColumnElement[object], ...]:
    columns = (Entry.cluster_id, Entry.application_id, Entry.position)
    return (Entry.version_key, *columns) if ordered else columns  # type: ignore[return-value]


def _after(cursor: Position | None, ordered: bool) -> list[ColumnElement[bool]]:
    if cursor is None:
        return []
    key, cluster, application, position = cursor
    if ordered:
        return [tuple_(*_order(True)) > tuple_(key, cluster, application, position)]
    return [tuple_(*_order(False)) > tuple_(cluster, application, position)]


def position_of(entry: Row[Any]) -> Position:
    return entry.version_key or "", entry.cluster_id, entry.application_id, entry.position


@dataclass(frozen=True)
class Totals:
    clusters: int
    applications: int
    rows: int


@dataclass(frozen=True)
class Page:
    totals: Totals
    entries: list[Row[Any]]  # columns of ImageIndexEntry
    next_cursor: Position | None


def selector_condition(selector: Selector) -> ColumnElement[bool]:
    """The selector as SQL over `clusters.labels` (a JSON object of strings), with Kubernetes'
    semantics as hub/selectors.py matches them: a cluster without the label is `!=` and `notin` any
    value. Portable: json_extract on SQLite, ->> on PostgreSQL."""
    conditions: list[ColumnElement[bool]] = []
    for requirement in selector.requirements:
        value = models.Cluster.labels[requirement.key].as_string()
        if requirement.operator in ("=", "in"):
            conditions.append(value.in_(requirement.values))
        elif requirement.operator in ("!=", "notin"):
            conditions.append(or_(value.is_(None), value.not_in(requirement.values)))
        elif requirement.operator == "exists":
            conditions.append(value.is_not(None))
        else:
            conditions.append(value.is_(None))
    return and_(true(), *conditions)


def _selected(selector: Selector) -> list[ColumnElement[bool]]:
    if not selector.requirements:
        return []
    # Materialized: a statement refers to it once per count, and each would otherwise read every
    # cluster's labels again.
    chosen = select(models.Cluster.id).where(selector_condition(selector)).cte("selected").prefix_with("MATERIALIZED")
    return [Entry.cluster_id.in_(select(chosen.c.id))]


def _distinct_clusters(conditions: list[ColumnElement[bool]]) -> ScalarSelect[int]:
    # SQLite reads ix_image_index_cluster for this, clusters in order, counted as scanned; over the
    # version index it would build a temporary B-tree of them, 3x slower at fleet scale (it picks it
    # without ANALYZE statistics, which the hub never gathers; with them it may not: slower, as
    # correct). PostgreSQL hashes the version index's range, about as fast.
    clusters = select(Entry.cluster_id).where(*conditions).distinct().subquery()
    return select(func.count()).select_from(clusters).scalar_subquery()


def _totals(conditions: list[ColumnElement[bool]]) -> list[ScalarSelect[int]]:
    """Distinct clusters, distinct applications, rows."""
    return [
        _distinct_clusters(conditions),
        # A DISTINCT subquery, not count(DISTINCT): PostgreSQL hashes it instead of sorting.
        select(func.count())
        .select_from(select(Entry.application_id).where(*conditions).distinct().subquery())
        .scalar_subquery(),
        select(func.count()).select_from(Entry).where(*conditions).scalar_subquery(),
    ]


async def _page(
    session: AsyncSession, conditions: list[ColumnElement[bool]], ordered: bool, limit: int, cursor: Position | None
) -> tuple[list[Row[Any]], Position | None]:
    # Plain rows, not ORM objects: a page is read, never changed.
    statement = select(*Entry.__table__.columns).where(*conditions, *_after(cursor, ordered)).order_by(*_order(ordered))
    rows = list(await session.execute(statement.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, position_of(rows[-1]) if more and rows else None


@dataclass(frozen=True)
class Answer:
    ordered: Page
    apart: Page


async def answer(
    session: AsyncSession,
    query: VersionQuery,
    *,
    limit: int,
    cursor: Position | None = None,
    unordered_cursor: Position | None = None,
    selector: Selector | None = None,
) -> Answer:
    """Exact totals, and up to `limit` rows after the cursors, of the rows in the bounds (`ordered`)
    and of those that cannot be ordered (`apart`); only on clusters the selector matches, if one is
    given. Three statements: the six totals in one, a page of each list."""
    chosen = _selected(selector or Selector())
    in_bounds = _filters(query, ordered=True) + chosen
    apart = _filters(query, ordered=False) + chosen
    counted = [int(n or 0) for n in (await session.execute(select(*_totals(in_bounds), *_totals(apart)))).one()]
    rows, next_cursor = await _page(session, in_bounds, True, limit, cursor)
    apart_rows, apart_next = await _page(session, apart, False, limit, unordered_cursor)
    return Answer(
        ordered=Page(Totals(counted[0], counted[1], counted[2]), rows, next_cursor),
        apart=Page(Totals(counted[3], counted[4], counted[5]), apart_rows, apart_next),
    )


async def count_clusters_running(
    session: AsyncSession,
    repository: str,
    *,
    older_than: VersionKey | None = None,
    newer_than: VersionKey | None = None,
    excluded: Iterable[str] = (),
    application: str | None = None,
    selector: Selector | None = None,
) -> int:
    """How many distinct clusters spokes report running `repository` (canonical, see
    `hub.images.references.normalise_name`) at a version in the bounds (exclusive), leaving out the
    tags or digests in `excluded`. Tags that are no version are not counted (they cannot be ordered):
    see `count_clusters_unordered`."""
    query = VersionQuery(
        repository=repository,
        older_than=older_than,
        newer_than=newer_than,
        excluded=frozenset(excluded),
        application=application,
    )
    conditions = _filters(query, ordered=True) + _selected(selector or Selector())
    return await session.scalar(select(_distinct_clusters(conditions))) or 0


async def count_clusters_unordered(
    session: AsyncSession, repository: str, *, application: str | None = None, selector: Selector | None = None
) -> int:
    """How many distinct clusters run `repository` under a tag that is no version, or a digest only."""
    query = VersionQuery(repository=repository, application=application)
    conditions = _filters(query, ordered=False) + _selected(selector or Selector())
    return await session.scalar(select(_distinct_clusters(conditions))) or 0
