"""What each cluster gets of a release: the release's manifests, or for a chart or template release its
rendering for that cluster (kept per release and cluster, rendered again when the cluster's facts change).
Every path that sends bundles (a new release, a rollout wave, a cluster that joins or is relabelled) asks
here."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.charts.archive import ChartArchive
from hub.charts.renderer import HelmRenderer
from hub.errors import Invalid
from hub.overrides.spec import ImageOverride, parse_overrides
from hub.placements import Placement
from hub.sources.facts import ClusterFacts
from hub.sources.render import RenderFailed, RenderJob, TemplateValues, render_for
from hub.sources.spec import Source, SourceKind, describe, facts_digest, loaded
from hub.sources.store import keep_rendering, load_chart, renderings
from hub.store import models
from schemas.v1.desired import content_digest

Objects = list[dict[str, Any]]


class TemplateLookup(Protocol):
    """How a template source becomes a chart and a rule for values (hub/templates)."""

    async def pin(self, session: AsyncSession, application: str, source: Source) -> Source:
        """`source` at the template revision it names (its newest when it names none), its values checked
        against that revision's parameters: Invalid naming each parameter that is wrong."""
        ...

    async def chart_and_values(self, session: AsyncSession, source: Source) -> tuple[ChartArchive, TemplateValues]: ...


def cluster_facts(row: models.Cluster) -> ClusterFacts:
    return ClusterFacts(row.id, dict(row.labels or {}), (row.facts or {}).get("kubernetes_version"))


async def all_cluster_facts(session: AsyncSession) -> dict[str, ClusterFacts]:
    return {c.id: cluster_facts(c) for c in await session.scalars(select(models.Cluster).order_by(models.Cluster.id))}


@dataclass
class SourceService:
    """`helm` None: this hub has no Helm, and chart or template applications are refused with a 422 saying
    so (set FLEETCAST_HUB_HELM_BINARY)."""

    helm: HelmRenderer | None
    templates: TemplateLookup | None = None
    clock: Callable[[], Any] | None = None

    def _helm(self) -> HelmRenderer:
        if self.helm is None:
            raise Invalid(
                "this hub has no Helm to render charts and templates with: set FLEETCAST_HUB_HELM_BINARY "
                "(`fleetcast dev tools helm` builds one)"
            )
        return self.helm

    async def job(
        self,
        session: AsyncSession,
        application: str,
        source: Source,
        overrides: Mapping[str, ImageOverride],
        chart: ChartArchive | None = None,
    ) -> RenderJob:
        if source.kind is SourceKind.TEMPLATE:
            if self.templates is None:
                raise Invalid(f"application {application}: this hub has no templates")
            chart, rule = await self.templates.chart_and_values(session, source)
            return RenderJob(application, source, chart, overrides, rule)
        assert source.chart is not None
        if chart is None or chart.digest != source.chart:
            chart = await load_chart(session, source.chart)
        return RenderJob(application, source, chart, overrides)

    async def render(
        self,
        session: AsyncSession,
        application: str,
        source: Source,
        overrides: Mapping[str, ImageOverride],
        clusters: Sequence[ClusterFacts],
        *,
        chart: ChartArchive | None = None,
    ) -> dict[str, Objects]:
        """What each of `clusters` gets of a chart or template source; Invalid (422) naming the chart,
        template, line and clusters when any fails. `chart`: the chart itself when the caller has it
        (a preview of an upload, which is not stored)."""
        helm = self._helm()
        job = await self.job(session, application, source, overrides, chart)
        try:
            return await render_for(helm, job, clusters)
        except RenderFailed as failed:
            raise Invalid(
                f"application {application}: {describe(source, job.chart.label)} does not render: "
                + "; ".join(failed.problems),
                failed.problems,
            ) from failed

    async def objects_for(
        self,
        session: AsyncSession,
        release: models.Release,
        clusters: Iterable[str],
        facts: Mapping[str, ClusterFacts] | None = None,
        *,
        keep: bool = True,
    ) -> dict[str, Objects]:
        """What each of `clusters` gets of `release`: its manifests, or its rendering for that cluster —
        the one kept, unless the cluster's facts changed since (or there is none yet): then rendered
        now and kept (unless not `keep`: a reader's)."""
        wanted = list(dict.fromkeys(clusters))
        if release.source is None:
            shared = list(release.manifests)
            return dict.fromkeys(wanted, shared)
        facts = facts if facts is not None else await all_cluster_facts(session)
        known = await renderings(session, release.application_id, release.revision, wanted)
        out: dict[str, Objects] = {}
        stale: list[ClusterFacts] = []
        for cluster in wanted:
            row = known.get(cluster)
            seen = facts.get(cluster, ClusterFacts(cluster))
            if row is not None and row.facts_digest == facts_digest(seen):
                out[cluster] = list(row.manifests)
            else:
                stale.append(seen)
        if stale:
            source = loaded(release.source)
            overrides = parse_overrides(dict(release.image_overrides or {}))
            rendered = await self.render(session, release.application_id, source, overrides, stale)
            if keep:
                self.keep(session, release, rendered, {f.name: f for f in stale}, known)
            out.update(rendered)
        return out

    def keep(
        self,
        session: AsyncSession,
        release: models.Release,
        rendered: Mapping[str, Objects],
        facts: Mapping[str, ClusterFacts],
        known: Mapping[str, models.ReleaseRendering] | None = None,
    ) -> None:
        now = self.clock() if self.clock is not None else release.created_at
        for cluster, objects in rendered.items():
            keep_rendering(
                session,
                known or {},
                release.application_id,
                release.revision,
                cluster,
                facts_digest(facts.get(cluster, ClusterFacts(cluster))),
                objects,
                content_digest(objects),
                now,
            )


async def stale_placements(
    session: AsyncSession, facts: ClusterFacts, placements: Iterable[Placement]
) -> list[Placement]:
    """Of `placements` on one cluster, those whose chart or template rendering was made with other facts
    of the cluster than it has now: they must be rendered and sent again."""
    active = {p.application: p for p in placements if p.active}
    if not active:
        return []
    rows = await session.scalars(
        select(models.ReleaseRendering).where(
            models.ReleaseRendering.cluster_id == facts.name,
            models.ReleaseRendering.application_id.in_(sorted(active)),
        )
    )
    now = facts_digest(facts)
    return [
        active[r.application_id]
        for r in rows
        if r.revision == active[r.application_id].revision and r.facts_digest != now
    ]
