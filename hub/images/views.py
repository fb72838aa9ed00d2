"""What the version query returns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Row

from hub.images.query import VersionQuery
from hub.images.store import Totals
from schemas.v1 import ContainerType


class ImageRow(BaseModel):
    """One container of one object of one application on one cluster, as its spoke last reported."""

    cluster: str
    application: str
    kind: str | None = Field(description="The object's kind; None if the spoke is too old to say.")
    namespace: str | None
    name: str | None = Field(description="The object's name; None if the spoke is too old to say.")
    container: str | None
    container_type: ContainerType
    reference: str = Field(description="The image reference as the object's spec gives it.")
    tag: str | None = Field(description="The tag; `latest` when the reference has neither tag nor digest.")
    variant: str | None = Field(description="A version tag's variant: `alpine` of `1.27.4-alpine`.")
    digest: str | None = Field(description="The digest running if the cluster said, else the reference's.")


class TotalsOut(BaseModel):
    clusters: int = Field(description="Distinct clusters with at least one such row.")
    applications: int = Field(description="Distinct applications with at least one such row.")
    rows: int


class QueryOut(BaseModel):
    older_than: str | None
    newer_than: str | None
    not_: list[str] = Field(alias="not", description="Tags or digests left out.")
    application: str | None
    selector: str | None


class ImageVersionsOut(BaseModel):
    image: str = Field(description="The repository, normalised as Docker does (nginx: docker.io/library/nginx).")
    query: QueryOut
    summary: str = Field(description="`N clusters, M applications run <image> older than <version>`.")
    totals: TotalsOut = Field(description="Of the rows whose version is in the bounds; exact, not paged.")
    items: list[ImageRow] = Field(description="Those rows, oldest version first, then by cluster.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page of `items`; None: no more.")
    unordered_totals: TotalsOut = Field(
        description="Of the rows that cannot be ordered: a tag that is no version (latest, stable), or a digest only."
    )
    unordered: list[ImageRow] = Field(description="Those rows, by cluster: never guessed older or newer.")
    unordered_next_cursor: str | None = Field(description="Pass as `unordered_cursor` for the next page.")


def image_row(entry: Row[Any]) -> ImageRow:
    """From the columns of an ImageIndexEntry."""
    return ImageRow(
        cluster=entry.cluster_id,
        application=entry.application_id,
        kind=entry.kind,
        namespace=entry.namespace,
        name=entry.name,
        container=entry.container,
        container_type=entry.container_type,
        reference=entry.reference,
        tag=entry.tag,
        variant=entry.variant,
        digest=entry.digest,
    )


def totals_out(totals: Totals) -> TotalsOut:
    return TotalsOut(clusters=totals.clusters, applications=totals.applications, rows=totals.rows)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(query: VersionQuery, totals: Totals) -> str:
    """`3 clusters, 2 applications run docker.io/library/nginx older than 1.27.4`."""
    verb = "runs" if totals.applications == 1 and totals.clusters == 1 else "run"
    return (
        f"{_plural(totals.clusters, 'cluster')}, {_plural(totals.applications, 'application')} {verb} "
        f"{query.repository} {query.describe()}"
    )


def query_out(query: VersionQuery) -> QueryOut:
    return QueryOut.model_validate(
        {
            "older_than": query.older_than_text,
            "newer_than": query.newer_than_text,
            "not": sorted(query.excluded),
            "application": query.application,
            "selector": query.selector,
        }
    )
