"""Publishing, reading and deleting templates; resolving one for an application that uses it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.log import record
from hub.charts.archive import ChartArchive
from hub.errors import Conflict, Invalid, NotFound
from hub.services.context import ServiceContext
from hub.sources.origin import Origin
from hub.store import models
from hub.templates import store
from hub.templates.spec import TemplateError, TemplateIn, TemplateSpec, parse_template
from hub.templates.views import (
    ClusterValuesOut,
    TemplateOut,
    TemplateSource,
    TemplateSummary,
    parameter_summaries,
)

TEMPLATE_PUBLISHED = "template.published"
TEMPLATE_DELETED = "template.deleted"


@dataclass(frozen=True)
class ResolvedTemplate:
    """A template revision as an application renders it: `check_values` and `values_for`
    (hub.templates.values) take `spec`; `chart` is what Helm renders."""

    spec: TemplateSpec
    revision: int
    chart: ChartArchive


def _view(row: models.TemplateRevision, latest_revision: int) -> TemplateOut:
    spec = row.spec
    overridable = list(spec.get("clusterOverridable") or [])
    return TemplateOut(
        name=row.name,
        revision=row.revision,
        digest=row.digest,
        description=spec.get("description", ""),
        parameters=spec.get("parameters") or {},
        parameter_summary=parameter_summaries(spec.get("parameters") or {}, spec.get("values") or {}, overridable),
        values=spec.get("values") or {},
        locked=spec.get("locked") or {},
        cluster_overridable=overridable,
        cluster_values=[ClusterValuesOut.model_validate(item) for item in spec.get("clusterValues") or []],
        source=TemplateSource.model_validate(spec["source"]),
        created_by=row.created_by,
        created_at=row.created_at,
        origin=Origin.model_validate(row.origin) if row.origin else None,
        latest_revision=latest_revision,
    )


def _summary(row: models.TemplateRevision) -> TemplateSummary:
    spec = row.spec
    return TemplateSummary(
        name=row.name,
        revision=row.revision,
        description=spec.get("description", ""),
        parameters=parameter_summaries(
            spec.get("parameters") or {}, spec.get("values") or {}, list(spec.get("clusterOverridable") or [])
        ),
        created_by=row.created_by,
        created_at=row.created_at,
    )


def _missing(name: str) -> NotFound:
    return NotFound(f"template {name} does not exist (fleetcast template list shows those that do)")


async def _live(session: AsyncSession, name: str) -> models.TemplateRevision:
    row = await store.latest(session, name)
    if row is None or row.deleted_at is not None:
        raise _missing(name)
    return row


class TemplateService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def put(self, name: str, body: TemplateIn, *, actor: str) -> tuple[TemplateOut, bool]:
        """The template after the PUT, and whether a new revision was made (an unchanged template, from
        wherever it came, makes none)."""
        try:
            spec = parse_template(name, body)
        except TemplateError as error:
            raise Invalid(f"template {name}: {error}", [f"template {name}: {p}" for p in error.problems]) from error
        digest = spec.digest()
        async with self.ctx.writing() as session:
            now = self.ctx.clock()
            latest = await store.latest(session, name)
            if latest is not None and latest.deleted_at is None and latest.digest == digest:
                return _view(latest, latest.revision), False
            await store.keep_chart(session, spec.source, now)
            number = latest.revision + 1 if latest is not None else 1
            origin = body.origin.model_dump() if body.origin is not None else None
            row = models.TemplateRevision(
                name=name,
                revision=number,
                spec=spec.dump(),
                digest=digest,
                chart_digest=spec.source.digest,
                created_by=actor,
                created_at=now,
                origin=origin,
                deleted_at=None,
            )
            session.add(row)
            details: dict[str, object] = {"template": name, "revision": number, "chart": spec.source.label}
            if origin is not None:
                details["origin"] = origin
            await record(
                session,
                time=now,
                actor=actor,
                action=TEMPLATE_PUBLISHED,
                revision=number,
                digest=digest,
                details=details,
            )
            return _view(row, number), True

    async def find(self) -> list[TemplateSummary]:
        async with self.ctx.reading() as session:
            return [_summary(row) for row in await store.live(session)]

    async def get(self, name: str, revision: int | None = None) -> TemplateOut:
        """The template's newest revision, or revision `revision` (also of a template deleted since)."""
        async with self.ctx.reading() as session:
            latest = await store.latest(session, name)
            if latest is None:
                raise _missing(name)
            if revision is None:
                if latest.deleted_at is not None:
                    raise _missing(name)
                return _view(latest, latest.revision)
            row = await store.revision(session, name, revision)
            if row is None:
                raise NotFound(f"template {name} has no revision {revision} (its newest is {latest.revision})")
            return _view(row, latest.revision)

    async def delete(self, name: str, *, actor: str, origin: Origin | None = None) -> TemplateOut:
        """Its revisions stay readable (releases made from them refer to them); publishing it again
        continues its revision numbers. Refused (409) while applications are made from it: their next
        change could not be rendered."""
        async with self.ctx.writing() as session:
            row = await _live(session, name)
            users = await store.applications_using(session, name)
            if users:
                raise Conflict(
                    f"template {name} is used by application(s) {', '.join(users)}: move them to another source "
                    "or delete them first"
                )
            now = self.ctx.clock()
            row.deleted_at = now
            details: dict[str, object] = {"template": name, "revision": row.revision}
            if origin is not None:
                details["origin"] = origin.model_dump()
            await record(
                session,
                time=now,
                actor=actor,
                action=TEMPLATE_DELETED,
                revision=row.revision,
                digest=row.digest,
                details=details,
            )
            return _view(row, row.revision)

    async def resolve_in(self, session: AsyncSession, name: str, revision: int | None = None) -> ResolvedTemplate:
        """In the caller's transaction: the template's newest revision (NotFound naming it if there is
        none, or it was deleted), or revision `revision` of it."""
        if revision is None:
            row = await _live(session, name)
        else:
            found = await store.revision(session, name, revision)
            if found is None:
                raise NotFound(f"template {name} has no revision {revision}")
            row = found
        chart = await store.chart(session, row.chart_digest)
        return ResolvedTemplate(TemplateSpec.load(name, row.spec, chart), row.revision, chart)

    async def resolve(self, name: str, revision: int | None = None) -> ResolvedTemplate:
        async with self.ctx.reading() as session:
            return await self.resolve_in(session, name, revision)
