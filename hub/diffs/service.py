"""The diff preview: what a PUT of an application would change on each cluster, against what each cluster
has now as desired state; with `live`, also what each cluster's API server says a server-side apply
would change. Reads only: nothing is stored, published as desired state, or audited (nothing changes).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from hub.clusterstates import ClusterState, cluster_state
from hub.diffs.channel import DryRunChannel, Unanswered
from hub.diffs.plan import DiffPlan, plan_diff
from hub.diffs.views import DiffOut, LiveOut, diff_view, live_out
from hub.errors import Invalid
from hub.rollouts.service import RolloutService
from hub.selectors import parse_selector
from hub.services.applications import (
    KEEP,
    ApplicationService,
    Keep,
    _check_id,
    _manifests,
    _selector,
    makes_release,
    parse_given_overrides,
    source_of,
)
from hub.services.context import ServiceContext
from hub.sources.change import SourceChange, next_source
from hub.sources.spec import MANIFESTS, SourceError
from hub.sources.spec import loaded as loaded_source
from hub.store import models
from schemas.v1.topics import requests_topic_spec

log = logging.getLogger(__name__)


async def ensure_request_topics(ctx: ServiceContext, topics_ready: asyncio.Event) -> None:
    """Every registered cluster's request topic, at hub start: clusters registered before live diffs
    existed get theirs too, and their spokes (which start reading at the end) are listening before the
    first request. New clusters get theirs when they register."""
    await topics_ready.wait()
    async with ctx.reading() as session:
        clusters = sorted(await session.scalars(select(models.Cluster.id)))
    if clusters:
        await ctx.topics.ensure(
            [requests_topic_spec(c, ctx.settings.max_message_bytes) for c in clusters], give_up_after=None
        )


class DiffService:
    def __init__(
        self, ctx: ServiceContext, rollouts: RolloutService, channel: DryRunChannel, applications: ApplicationService
    ) -> None:
        self.ctx = ctx
        self.rollouts = rollouts
        self.channel = channel
        self.applications = applications

    async def diff(
        self,
        application_id: str,
        manifests_source: str | list[Any] | None,
        selector_source: str | dict[str, Any] | None,
        *,
        strategy: str | Keep | None = KEEP,
        image_overrides: dict[str, str] | Keep = KEEP,
        source: SourceChange | None = None,
        live: bool = False,
        within: float = 10.0,
    ) -> DiffOut:
        """The same inputs as ApplicationService.put (and the same 422s for bad ones); `live` asks every
        cluster the change reaches for a dry run, waiting at most `within` seconds for the answers."""
        _check_id(application_id)
        selector = _selector(selector_source)
        manifests = _manifests(manifests_source)
        given = None if image_overrides is KEEP else parse_given_overrides(image_overrides)
        change = source or SourceChange()
        async with self.ctx.reading() as session:
            row = await session.get(models.Application, application_id)
            app = row if row is not None and row.deleted_at is None else None
            try:
                spec = next_source(
                    loaded_source(app.source) if app is not None else MANIFESTS, manifests is not None, change
                )
            except SourceError as error:
                raise Invalid(f"application {application_id}: {error}") from error
            if app is None and manifests is None and not spec.per_cluster:
                raise Invalid(
                    f"application {application_id}: manifests are required for a new application "
                    "(or a chart, or a template)"
                )
            if app is None and selector is None:
                raise Invalid(
                    f"application {application_id}: a selector is required for a new application "
                    '("" selects every cluster)'
                )
            wanted = (app.strategy if app is not None else None) if strategy is KEEP else strategy
            if isinstance(wanted, str):
                await self.rollouts.check_strategy(session, wanted)
            current = await session.get(models.Release, (app.id, app.revision)) if app is not None else None
            current_source = source_of(current) if current is not None else None
            if manifests is None and not spec.per_cluster:
                assert current_source is not None
                manifests = current_source
            # Stored selectors are normalized strings the hub wrote itself, so they parse.
            current_selector = parse_selector(app.selector) if app is not None else None
            new_selector = selector if selector is not None else current_selector
            assert new_selector is not None
            spec = await self.applications.pinned(session, application_id, spec)
            # What clusters would get: the same rendering as the PUT (image overrides applied).
            prepared = await self.applications.prepare(
                session,
                application_id,
                spec,
                manifests or [],
                given,
                app.image_overrides if app is not None else None,
                str(new_selector),
                # Rendered from the upload itself: a preview stores nothing, not even the chart.
                chart=change.chart,
            )
            clusters = {c.id: c for c in await session.scalars(select(models.Cluster))}
            placements = await session.scalars(
                select(models.Placement).where(
                    models.Placement.application_id == application_id, models.Placement.active.is_(True)
                )
            )
            placed = {p.cluster_id: p.revision for p in placements if p.cluster_id in clusters}
            releases = {
                r.revision: r
                for r in await session.scalars(
                    select(models.Release).where(
                        models.Release.application_id == application_id,
                        models.Release.revision.in_(set(placed.values())),
                    )
                )
            }
            now: dict[str, list[dict[str, Any]]] = {}
            for revision, release in releases.items():
                on = [c for c, r in placed.items() if r == revision]
                now.update(await self.applications.sources.objects_for(session, release, on, keep=False))
        new = {f.name: objects for f, objects in prepared.targets}
        plan = plan_diff({c.id: c.labels for c in clusters.values()}, placed, now, new, new_selector, current_selector)
        results: dict[str, LiveOut] | None = None
        if live:
            last_seen = {c.id: c.last_seen for c in clusters.values()}
            results = await self._live(application_id, plan, new, last_seen, within)
        return diff_view(
            application=application_id,
            exists=app is not None,
            current_revision=app.revision if app is not None else None,
            new_release=app is None
            or current_source is None
            or makes_release(
                app,
                current_source,
                manifests or [],
                prepared.overrides,
                prepared.digest,
                str(new_selector),
                stored_source=spec.stored(),
            ),
            digest=prepared.digest,
            selector=str(new_selector),
            current_selector=app.selector if app is not None else None,
            strategy=wanted if isinstance(wanted, str) else None,
            plan=plan,
            live=results,
        )

    async def _live(
        self,
        application_id: str,
        plan: DiffPlan,
        manifests: Mapping[str, list[dict[str, Any]]],
        last_seen: Mapping[str, Any],
        within: float,
    ) -> dict[str, LiveOut]:
        """Every cluster the change reaches gets an answer: its dry run, or why there is none. One that
        sends no heartbeats is not asked (it would only time out)."""
        now = self.ctx.clock()
        silent_after = timedelta(seconds=self.ctx.settings.unreachable_after_seconds)
        results: dict[str, LiveOut] = {}
        asked: dict[str, list[dict[str, Any]]] = {}
        for cluster in plan.reached:
            seen = last_seen.get(cluster.cluster)
            if cluster_state(seen, now, silent_after) is ClusterState.UNREACHABLE:
                results[cluster.cluster] = live_out(
                    ("unreachable", f"no heartbeat since {seen.isoformat() if seen else 'ever'}; not asked")
                )
            else:
                asked[cluster.cluster] = cluster.new_manifests(manifests)
        answers = await self.channel.ask(application_id, asked, within)
        for name, answer in answers.items():
            results[name] = live_out((answer.state, answer.reason) if isinstance(answer, Unanswered) else answer)
        return {c.cluster: results[c.cluster] for c in plan.reached}
