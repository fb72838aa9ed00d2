"""Templates as application sources: what the application service asks of them (hub.sources.service
TemplateLookup) — pin a template source at a revision with its values checked, and give the chart and
the rule for each cluster's values."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from hub.charts.archive import ChartArchive
from hub.errors import Invalid, NotFound
from hub.sources.render import TemplateValues
from hub.sources.spec import Source
from hub.templates.service import ResolvedTemplate, TemplateService
from hub.templates.values import check_values, template_rule


class TemplateSources:
    def __init__(self, templates: TemplateService) -> None:
        self.templates = templates

    async def _resolved(self, session: AsyncSession, application: str | None, source: Source) -> ResolvedTemplate:
        assert source.template is not None
        try:
            return await self.templates.resolve_in(session, source.template, source.template_revision)
        except NotFound as error:
            # A reference in the application's body: bad input (422), not a missing resource.
            raise Invalid(f"application {application}: {error.message}" if application else error.message) from error

    async def pin(self, session: AsyncSession, application: str, source: Source) -> Source:
        resolved = await self._resolved(session, application, source)
        problems = check_values(resolved.spec, source.values, source.cluster_value_pairs())
        if problems:
            raise Invalid(
                f"application {application}: template {resolved.spec.name} (revision {resolved.revision}) refuses "
                "its values: " + "; ".join(problems),
                problems,
            )
        return replace(source, template_revision=resolved.revision)

    async def chart_and_values(self, session: AsyncSession, source: Source) -> tuple[ChartArchive, TemplateValues]:
        resolved = await self._resolved(session, None, source)
        return resolved.chart, template_rule(resolved.spec, source)
