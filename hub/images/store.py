"""The image index in the database: replacing a (cluster, application)'s rows when its report is
stored, and the version query over them, in the index's order (repository, version key, cluster,
application, position), which ix_image_index_version serves without reading the table for the
counts.

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


async def replace_rows(session: AsyncSession, rows: Mapping[tuple[str, str], Sequence[IndexRow]]) -> None:
    """Make each (cluster, application)'s rows exactly `rows[...]`: one DELETE per chunk of pairs and
    one multi-row INSERT for the batch, in the caller's transaction. The statuses they belong to
    must be flushed already (a foreign key points at them)."""
    pairs = sorted(rows)
    key = tuple_(Entry.cluster_id, Entry.application_id)
    for part in chunked(pairs):
        await session.execute(delete(Entry).where(key.in_(part)))
    values = [
        row.values(cluster, application) for (cluster, application) in pairs for row in rows[(cluster, application)]
    ]
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
    # Over ix_image_index_cluster the clusters come in order and are counted as they are scanned; over
    # the version index they would go through a temporary B-tree (SQLite) or a hash, 3x slower at
    # fleet scale. Both databases pick it for `SELECT DISTINCT cluster_id` (SQLite without ANALYZE
    # statistics, which the hub never gathers; with them it may pick the other: slower, as correct).
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
