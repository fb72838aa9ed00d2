"""Applications: a PUT makes a new immutable release when the manifests or the selector changed, and
places it; a DELETE removes it from every cluster it was on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.log import APPLICATION_DELETED, RELEASE_CREATED, record
from hub.autoupdate.spec import AutoUpdatePolicy, parse_policies
from hub.charts.archive import ChartArchive
from hub.dependencies import service as dependencies
from hub.dependencies.graph import missing
from hub.dependencies.store import live_applications, waiting_by_cluster
from hub.drift.index import drifting_count
from hub.drift.policy import PolicyError, loaded, parse_policy, stored
from hub.errors import Forbidden, Invalid, NotFound
from hub.manifests import ManifestError, parse_manifests
from hub.overrides.render import Rendered, render
from hub.overrides.spec import ImageOverride, OverrideError, as_stored, parse_overrides
from hub.overrides.usage import image_uses
from hub.placements import Release, plan_release, plan_removals
from hub.rollouts.service import RolloutService
from hub.selectors import Selector, SelectorError, parse_selector
from hub.services.context import ServiceContext, no_objects, to_placement, write_changes
from hub.sources.change import SourceChange, next_source
from hub.sources.facts import ClusterFacts
from hub.sources.origin import Origin
from hub.sources.service import SourceService, all_cluster_facts
from hub.sources.spec import MANIFESTS, Source, SourceError, SourceKind, shown
from hub.sources.spec import loaded as loaded_source
from hub.sources.store import save_chart
from hub.store import models
from hub.views import (
    ApplicationCluster,
    ApplicationDeleted,
    ApplicationOut,
    ReleaseOut,
    RemovedApplication,
    RenderedManifests,
    SourceOut,
    deployment_fields,
    worth_showing,
)
from schemas.v1 import content_digest, is_dns_label


def _check_id(application_id: str) -> None:
    if not is_dns_label(application_id):
        raise Invalid(
            f"invalid application id {application_id!r}: must be a DNS-1123 label (at most 63 lowercase letters, "
            "digits and '-', starting and ending with a letter or digit)"
        )


def _manifests(source: str | list[Any] | None) -> list[dict[str, Any]] | None:
    if source is None:
        return None
    try:
        return parse_manifests(source)
    except ManifestError as error:
        raise Invalid(str(error), error.problems) from error


def _selector(source: str | dict[str, Any] | None) -> Selector | None:
    if source is None:
        return None
    try:
        return parse_selector(source)
    except SelectorError as error:
        raise Invalid(str(error)) from error


def desired_manifests(
    application_id: str,
    source: list[dict[str, Any]],
    given: dict[str, ImageOverride] | None,
    kept: dict[str, str] | None,
) -> tuple[dict[str, ImageOverride], Rendered]:
    """What clusters get from `source` and the overrides (`given` ones replace the `kept` stored ones).
    Every override given must match an image of the manifests (Invalid names those that do not); kept
    ones the manifests no longer use are dropped: they have nothing left to do."""
    overrides = given if given is not None else stored_overrides(kept)
    used, rendered = rendered_with(source, overrides)
    unused = sorted(set(overrides) - set(used))
    if given is not None and unused:
        raise Invalid(
            f"application {application_id}: image overrides match no container image of the manifests: "
            + ", ".join(unused)
        )
    return used, rendered


def rendered_with(
    source: list[dict[str, Any]], overrides: dict[str, ImageOverride]
) -> tuple[dict[str, ImageOverride], Rendered]:
    """`source` with the overrides applied, and the overrides that matched an image of it."""
    rendered = render(source, overrides)
    return {r: o for r, o in overrides.items() if r in rendered.matched}, rendered


class Keep(Enum):
    """A field the PUT leaves as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


def makes_release(
    app: models.Application,
    current_source: list[dict[str, Any]],
    source: list[dict[str, Any]],
    overrides: dict[str, ImageOverride],
    digest: str,
    selector: str,
    drift: dict[str, Any] | Keep | None = None,
    stored_source: dict[str, Any] | None = None,
) -> bool:
    """Whether a PUT of these makes a new release of a live application. The same bundle from other
    source manifests or overrides is still one: a release is what the user declared, and a later change
    of overrides starts from it. So is a change of the drift policy (stored form; KEEP: unchanged) alone:
    the bundles carry it. For a chart or template, `stored_source` is what it is made from, and `digest`
    covers it."""
    return (
        (not isinstance(drift, Keep) and drift != app.drift)
        or stored_source != app.source
        or app.digest != digest
        or app.selector != selector
        or source != current_source
        or as_stored(overrides) != (app.image_overrides or {})
    )


def parse_drift_policy(application_id: str, source: Any) -> dict[str, Any] | None:
    """A PUT's drift policy in its stored form; Invalid naming the rule and path that is wrong."""
    try:
        return stored(parse_policy(source))
    except PolicyError as error:
        raise Invalid(f"application {application_id}: drift policy: {error}") from error


def parse_given_overrides(source: dict[str, str]) -> dict[str, ImageOverride]:
    try:
        return parse_overrides(source)
    except OverrideError as error:
        raise Invalid(str(error), error.problems) from error


def stored_overrides(stored: dict[str, str] | None) -> dict[str, ImageOverride]:
    """Overrides as the hub stored them (canonical names it wrote itself, so they parse)."""
    return parse_overrides(stored or {})


def source_of(release: models.Release) -> list[dict[str, Any]]:
    """A release's manifests as given, before its image overrides."""
    return list(release.source_manifests if release.source_manifests is not None else release.manifests)


def _policies(source: list[Any]) -> list[AutoUpdatePolicy]:
    try:
        return parse_policies(source)
    except ValueError as error:
        raise Invalid(str(error)) from error


@dataclass(frozen=True)
class NewRelease:
    source: list[dict[str, Any]]  # as given
    overrides: dict[str, ImageOverride]
    manifests: list[dict[str, Any]]  # rendered: what clusters get
    digest: str
    selector: str
    cause: str | None = None
    drift: dict[str, Any] | None = None  # the drift policy, stored form (None: the default)
    source_spec: Source = MANIFESTS
    # A chart or template release: what each cluster selected now gets.
    renderings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Every registered cluster, as `prepare` read them in this transaction (placement plans over them).
    facts: dict[str, ClusterFacts] = field(default_factory=dict)
    origin: Origin | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)
    depends_on: tuple[str, ...] = ()  # what a new application depends on (an existing one has it set before)


# Policies every release must pass: given the application and what each target cluster would get, the
# findings of `warn` policies (stored with the release); Invalid (422) listing every `deny` finding.
ReleaseChecks = Callable[
    [AsyncSession, str, list[tuple[ClusterFacts, list[dict[str, Any]]]]], Awaitable[list[dict[str, Any]]]
]


async def no_checks(
    _session: AsyncSession, _application: str, _targets: list[tuple[ClusterFacts, list[dict[str, Any]]]]
) -> list[dict[str, Any]]:
    return []


@dataclass(frozen=True)
class Prepared:
    """A release about to be made: what every cluster gets, and its digest."""

    manifests: list[dict[str, Any]]  # plain manifests with the overrides applied ([] when rendered per cluster)
    overrides: dict[str, ImageOverride]
    digest: str
    renderings: dict[str, list[dict[str, Any]]]
    facts: dict[str, ClusterFacts]  # every registered cluster
    targets: list[tuple[ClusterFacts, list[dict[str, Any]]]]


class ApplicationService:
    def __init__(
        self,
        ctx: ServiceContext,
        rollouts: RolloutService,
        sources: SourceService | None = None,
        checks: ReleaseChecks = no_checks,
    ) -> None:
        self.ctx = ctx
        self.rollouts = rollouts
        self.sources = sources if sources is not None else SourceService(None, clock=ctx.clock)
        self.checks = checks

    async def put(
        self,
        application_id: str,
        manifests_source: str | list[Any] | None,
        selector_source: str | dict[str, Any] | None,
        *,
        actor: str,
        strategy: str | Keep | None = KEEP,
        may_change_strategy: bool = False,
        image_overrides: dict[str, str] | Keep = KEEP,
        auto_update: list[Any] | Keep = KEEP,
        drift: Any = KEEP,
        source: SourceChange | None = None,
        origin: Origin | None = None,
        depends_on: list[str] | Keep = KEEP,
    ) -> tuple[ApplicationOut, bool]:
        """The application after the PUT, and whether a new release was made (recorded as `actor`'s).

        `strategy` names the rollout strategy new releases go out with (None: all at once). Changing or
        removing the strategy of an application that has one needs `may_change_strategy` (the admin
        role): the strategy holds the approval gates a deployer must not be able to step around.

        `image_overrides` (repository -> tag or digest) replace the application's; every one given must
        match an image of the manifests. `auto_update` replaces its auto-update policies. `drift` (a
        DriftPolicy's JSON) replaces its drift policy: a change of it alone makes a new release.
        `source` changes what it is made from (a chart or template with values; None: keep), rendered
        for every selected cluster before anything is stored; `origin` says where the change came from.
        `depends_on` replaces the applications it waits for on each cluster (hub/dependencies): a change
        of it alone makes no release."""
        _check_id(application_id)
        # Everything is checked before the transaction: bad input stores and publishes nothing.
        manifests = _manifests(manifests_source)
        selector = _selector(selector_source)
        given_overrides = None if image_overrides is KEEP else parse_given_overrides(image_overrides)
        policies = None if auto_update is KEEP else _policies(auto_update)
        given_drift = KEEP if drift is KEEP else parse_drift_policy(application_id, drift)
        change = source or SourceChange()
        given_deps = None if isinstance(depends_on, Keep) else dependencies.parse_depends_on(application_id, depends_on)
        async with self.ctx.writing() as session:
            app = await session.get(models.Application, application_id)
            live = app is not None and app.deleted_at is None
            current_spec = loaded_source(app.source) if live and app is not None else MANIFESTS
            try:
                spec = next_source(current_spec, manifests is not None, change)
            except SourceError as error:
                raise Invalid(f"application {application_id}: {error}") from error
            if not live and manifests is None and not spec.per_cluster:
                raise Invalid(
                    f"application {application_id}: manifests are required for a new application "
                    "(or a chart, or a template)"
                )
            if not live and selector is None:
                raise Invalid(
                    f"application {application_id}: a selector is required for a new application "
                    '("" selects every cluster)'
                )
            current = await session.get(models.Release, (app.id, app.revision)) if live and app is not None else None
            current_source = source_of(current) if current is not None else None
            if manifests is None and not spec.per_cluster:
                assert current_source is not None
                manifests = current_source
            if change.chart is not None:
                await save_chart(session, change.chart, self.ctx.clock())
            spec = await self.pinned(session, application_id, spec)
            selector_text = str(selector) if selector is not None else app.selector if app else ""
            prepared = await self.prepare(
                session,
                application_id,
                spec,
                manifests or [],
                given_overrides,
                app.image_overrides if live and app is not None else None,
                selector_text,
                chart=change.chart,
            )
            for policy in policies or []:
                if policy.strategy is not None:
                    await self.rollouts.check_strategy(session, policy.strategy)
            current_strategy = app.strategy if live and app is not None else None
            wanted = current_strategy if strategy is KEEP else strategy
            if wanted is not None:
                await self.rollouts.check_strategy(session, wanted)
            if current_strategy is not None and wanted != current_strategy and not may_change_strategy:
                raise Forbidden(
                    f"application {application_id} rolls out with strategy {current_strategy}: changing or removing "
                    "it needs the admin role (the strategy holds the approval gates)"
                )
            # Like the strategy, a re-created application starts without the deleted one's dependencies.
            deps = given_deps if given_deps is not None else list(app.depends_on or []) if live and app else []
            await dependencies.check_no_cycle(session, application_id, deps)
            if app is not None:  # set before a release: its bundles wait for what it depends on now
                await dependencies.set_dependencies(session, app, deps, actor=actor, now=self.ctx.clock())
            unchanged = (
                live
                and app is not None
                and current_source is not None
                and not makes_release(
                    app,
                    current_source,
                    manifests or [],
                    prepared.overrides,
                    prepared.digest,
                    selector_text,
                    given_drift,
                    spec.stored(),
                )
            )
            if unchanged:
                assert app is not None
                created = False
                if wanted != current_strategy:
                    await self._set_strategy(session, app, wanted, actor)
            else:
                created = True
                warnings = await self.checks(session, application_id, prepared.targets)
                app = await self._release(
                    session,
                    application_id,
                    app,
                    NewRelease(
                        manifests or [],
                        prepared.overrides,
                        prepared.manifests,
                        prepared.digest,
                        selector_text,
                        drift=(app.drift if live and app is not None else None)
                        if isinstance(given_drift, Keep)
                        else given_drift,
                        source_spec=spec,
                        renderings=prepared.renderings,
                        facts=prepared.facts,
                        origin=origin,
                        warnings=warnings,
                        depends_on=tuple(deps),
                    ),
                    wanted,
                    actor,
                )
            if policies is not None:
                await self._set_auto_update(session, app, policies, actor)
        return await self.get(application_id), created

    async def pinned(self, session: AsyncSession, application_id: str, spec: Source) -> Source:
        """A template source pinned and checked: a template named in the PUT at its newest revision (a later
        revision of the template reaches the application with its next PUT naming it, or its next sync),
        and the values checked against the parameters of the revision pinned (Invalid naming each)."""
        if spec.kind is not SourceKind.TEMPLATE:
            return spec
        if self.sources.templates is None:
            raise Invalid(f"application {application_id}: this hub has no templates")
        return await self.sources.templates.pin(session, application_id, spec)

    async def prepare(
        self,
        session: AsyncSession,
        application_id: str,
        spec: Source,
        manifests: list[dict[str, Any]],
        given: dict[str, ImageOverride] | None,
        kept: dict[str, str] | None,
        selector_text: str,
        *,
        chart: ChartArchive | None = None,
    ) -> Prepared:
        """What every cluster the selector picks gets of the release these make, checked: the chart or
        template rendered for each (Invalid naming every cluster that fails), the overrides matched."""
        facts = await all_cluster_facts(session)
        selector = parse_selector(selector_text)
        selected = [f for f in facts.values() if selector.matches(f.labels)]
        if not spec.per_cluster:
            overrides, rendered = desired_manifests(application_id, manifests, given, kept)
            objects = rendered.manifests
            return Prepared(objects, overrides, content_digest(objects), {}, facts, [(f, objects) for f in selected])
        overrides = given if given is not None else stored_overrides(kept)
        renderings = await self.sources.render(session, application_id, spec, overrides, selected, chart=chart)
        used = {r for r in overrides if any(any(True for _ in image_uses(o, r)) for o in renderings.values())}
        unused = sorted(set(overrides) - used)
        if given is not None and unused and renderings:
            raise Invalid(
                f"application {application_id}: image overrides match no container image the chart renders for "
                "any selected cluster: " + ", ".join(unused)
            )
        if renderings:
            overrides = {r: o for r, o in overrides.items() if r in used}
        return Prepared(
            [],
            overrides,
            spec.digest(as_stored(overrides)),
            renderings,
            facts,
            [(f, renderings[f.name]) for f in selected],
        )

    async def release_with_overrides(
        self,
        session: AsyncSession,
        app: models.Application,
        changes: dict[str, ImageOverride],
        *,
        actor: str,
        cause: str,
        run_strategy: str | None = None,
    ) -> int | None:
        """Inside the caller's write transaction: a new release of `app` whose image overrides are its
        own with `changes` on top, going out under `run_strategy` (None: the application's). The new
        revision, or None when the overrides change nothing the manifests use."""
        current = await session.get(models.Release, (app.id, app.revision))
        assert current is not None
        spec = loaded_source(current.source)
        source = [] if spec.per_cluster else source_of(current)
        wanted = as_stored({**stored_overrides(app.image_overrides), **changes})
        prepared = await self.prepare(session, app.id, spec, source, None, wanted, app.selector)
        if prepared.digest == app.digest:
            return None
        warnings = await self.checks(session, app.id, prepared.targets)
        release = NewRelease(
            source,
            prepared.overrides,
            prepared.manifests,
            prepared.digest,
            app.selector,
            cause,
            app.drift,
            source_spec=spec,
            renderings=prepared.renderings,
            facts=prepared.facts,
            warnings=warnings,
        )
        await self._release(session, app.id, app, release, app.strategy, actor, run_strategy=run_strategy)
        return app.revision

    async def _set_auto_update(
        self, session: AsyncSession, app: models.Application, policies: list[AutoUpdatePolicy], actor: str
    ) -> None:
        stored = [p.stored() for p in policies]
        if stored == list(app.auto_update or []):
            return
        now = self.ctx.clock()
        app.auto_update, app.updated_at = stored, now
        await record(
            session,
            time=now,
            actor=actor,
            action="application.auto-update-changed",
            application=app.id,
            revision=app.revision,
            details={"policies": stored},
        )

    async def _set_strategy(
        self, session: AsyncSession, app: models.Application, strategy: str | None, actor: str
    ) -> None:
        """Only how later releases go out changes; a run in progress keeps the strategy it started with."""
        now = self.ctx.clock()
        previous, app.strategy, app.updated_at = app.strategy, strategy, now
        await record(
            session,
            time=now,
            actor=actor,
            action="application.strategy-changed",
            application=app.id,
            strategy=strategy,
            revision=app.revision,
            details={"previous": previous, "strategy": strategy},
        )

    async def _release(
        self,
        session: AsyncSession,
        application_id: str,
        app: models.Application | None,
        new: NewRelease,
        strategy: str | None,
        actor: str,
        *,
        run_strategy: str | None = None,
    ) -> models.Application:
        """The new release, placed (at once) or started (in waves under `run_strategy` or the strategy)."""
        now = self.ctx.clock()
        manifests, digest, selector_text = new.manifests, new.digest, new.selector
        if app is None:
            app = models.Application(id=application_id, revision=0, created_at=now, depends_on=list(new.depends_on))
            session.add(app)
            if new.depends_on:
                await dependencies.record_change(session, app, [], actor=actor, now=now)
        elif app.deleted_at is not None:
            # Re-created: revisions go on from the deleted one's, so "revision 3" is never two things.
            app.deleted_at = None
            app.created_at = now
        app.revision += 1
        app.digest = digest
        app.selector = selector_text
        app.strategy = strategy
        app.image_overrides = as_stored(new.overrides)
        app.drift = new.drift
        app.source = new.source_spec.stored()
        app.updated_at = now
        row = models.Release(
            application_id=application_id,
            revision=app.revision,
            manifests=manifests,
            digest=digest,
            selector=selector_text,
            created_at=now,
            image_overrides=as_stored(new.overrides),
            source_manifests=new.source if new.overrides and not new.source_spec.per_cluster else None,
            created_by=actor,
            cause=new.cause,
            drift=new.drift,
            source=new.source_spec.stored(),
            origin=new.origin.model_dump() if new.origin is not None else None,
            warnings=new.warnings or None,
        )
        session.add(row)
        await session.flush()
        if new.source_spec.per_cluster:
            self.sources.keep(session, row, new.renderings, new.facts)
        details: dict[str, Any] = {
            "selector": selector_text,
            "strategy": run_strategy or strategy,
            "image_overrides": as_stored(new.overrides),
            "drift": new.drift,
        }
        # Only what there is: a plain manifests release made by hand reads as it always did.
        if new.source_spec.per_cluster:
            details["source"] = new.source_spec.stored()
        if new.origin is not None:
            details["origin"] = new.origin.model_dump()
        if new.warnings:
            details["warnings"] = new.warnings
        await record(
            session,
            time=now,
            actor=actor,
            action=RELEASE_CREATED,
            application=application_id,
            revision=app.revision,
            digest=digest,
            reason=new.cause,
            details=details,
        )
        if (run_strategy or strategy) is not None:
            # Out in waves: the run dispatches each cluster's bundle when its wave reaches it.
            await self.rollouts.start(session, app, actor=actor, strategy=run_strategy)
            return app
        await self.rollouts.supersede_active(
            session, application_id, reason=f"superseded by revision {app.revision}, sent to every cluster at once"
        )
        app.stable_revision = app.revision
        clusters = {c: f.labels for c, f in new.facts.items()}
        rows = await session.scalars(select(models.Placement).where(models.Placement.application_id == application_id))
        placements = {r.cluster_id: to_placement(r) for r in rows}
        release = Release(application_id, app.revision, parse_selector(selector_text))
        changes = plan_release(release, clusters, placements)

        def objects(_application: str, cluster: str) -> list[dict[str, Any]]:
            # The clusters the release selects are those `prepare` rendered, in this same transaction.
            return new.renderings[cluster] if new.source_spec.per_cluster else manifests

        policy = loaded(new.drift)
        await write_changes(self.ctx, session, changes, objects, lambda _app: policy)
        return app

    async def delete(self, application_id: str, *, actor: str) -> ApplicationDeleted:
        async with self.ctx.writing() as session:
            app = await session.get(models.Application, application_id)
            if app is None or app.deleted_at is not None:
                raise NotFound(f"application {application_id} does not exist")
            rows = await session.scalars(
                select(models.Placement).where(models.Placement.application_id == application_id)
            )
            await self.rollouts.end_for_deletion(session, application_id, actor)
            changes = plan_removals({r.cluster_id: to_placement(r) for r in rows}, "deleted")
            await write_changes(self.ctx, session, changes, no_objects)
            app.deleted_at = app.updated_at = self.ctx.clock()
            revision = app.revision
            await record(
                session,
                time=app.deleted_at,
                actor=actor,
                action=APPLICATION_DELETED,
                application=application_id,
                revision=revision,
                digest=app.digest,
                details={"removed_from": sorted(c.cluster for c in changes)},
            )
        return ApplicationDeleted(
            id=application_id,
            revision=revision,
            removed=[
                RemovedApplication(cluster=c.cluster, revision=c.revision, generation=c.generation) for c in changes
            ],
        )

    async def get(self, application_id: str) -> ApplicationOut:
        async with self.ctx.reading() as session:
            app = await session.get(models.Application, application_id)
            if app is None or app.deleted_at is not None:
                raise NotFound(f"application {application_id} does not exist")
            return (await self._views(session, [app]))[0]

    async def find(self) -> list[ApplicationOut]:
        async with self.ctx.reading() as session:
            apps = await session.scalars(
                select(models.Application)
                .where(models.Application.deleted_at.is_(None))
                .order_by(models.Application.id)
            )
            return await self._views(session, list(apps))

    async def releases(self, application_id: str) -> list[ReleaseOut]:
        async with self.ctx.reading() as session:
            app = await session.get(models.Application, application_id)
            if app is None or app.deleted_at is not None:
                raise NotFound(f"application {application_id} does not exist")
            rows = await session.scalars(
                select(models.Release)
                .where(models.Release.application_id == application_id)
                .order_by(models.Release.revision.desc())
            )
            return [
                ReleaseOut(
                    revision=r.revision,
                    digest=r.digest,
                    selector=r.selector,
                    created_at=r.created_at,
                    manifests=r.manifests,
                    created_by=r.created_by,
                    cause=r.cause,
                    image_overrides=dict(r.image_overrides or {}),
                    source_manifests=r.source_manifests,
                    drift=loaded(r.drift),
                    source=SourceOut(**shown(loaded_source(r.source))),
                    origin=Origin.model_validate(r.origin) if r.origin else None,
                    warnings=list(r.warnings or []),
                )
                for r in rows
            ]

    async def manifests(self, application_id: str, cluster: str, revision: int | None = None) -> RenderedManifests:
        """What `cluster` gets of a release of the application (its current one by default): for a chart or
        template, its rendering for that cluster (rendered now if there is none yet)."""
        async with self.ctx.writing() as session:
            app = await session.get(models.Application, application_id)
            if app is None or app.deleted_at is not None:
                raise NotFound(f"application {application_id} does not exist")
            wanted = revision if revision is not None else app.revision
            release = await session.get(models.Release, (application_id, wanted))
            if release is None:
                raise NotFound(f"application {application_id} has no revision {wanted}")
            facts = await all_cluster_facts(session)
            if cluster not in facts:
                raise NotFound(f"cluster {cluster} is not registered")
            objects = (await self.sources.objects_for(session, release, [cluster], facts))[cluster]
            return RenderedManifests(
                application=application_id,
                revision=wanted,
                cluster=cluster,
                source=SourceOut(**shown(loaded_source(release.source))),
                digest=content_digest(objects),
                manifests=objects,
            )

    async def _views(self, session: AsyncSession, apps: Sequence[models.Application]) -> list[ApplicationOut]:
        ids = [a.id for a in apps]
        registered = set(await session.scalars(select(models.Cluster.id)))
        placements = {
            (p.application_id, p.cluster_id): p
            for p in await session.scalars(select(models.Placement).where(models.Placement.application_id.in_(ids)))
            if p.cluster_id in registered
        }
        statuses = {
            (s.application_id, s.cluster_id): s
            for s in await session.scalars(select(models.Status).where(models.Status.application_id.in_(ids)))
        }
        rollouts = await self.rollouts.latest_summaries(session, ids)
        waiting = await waiting_by_cluster(session, ids)
        live = await live_applications(session, {d for a in apps for d in a.depends_on or []})
        views: list[ApplicationOut] = []
        for app in apps:
            keys = sorted({k for k in (*placements, *statuses) if k[0] == app.id}, key=lambda k: k[1])
            clusters = [
                ApplicationCluster(
                    cluster=key[1],
                    objects=list(statuses[key].objects) if key in statuses else [],
                    drifted=drifting_count(statuses[key].objects) if key in statuses else 0,
                    waiting_for=waiting.get(key, []),
                    **deployment_fields(placements.get(key), statuses.get(key)),
                )
                for key in keys
                if worth_showing(placements.get(key), statuses.get(key))
            ]
            views.append(
                ApplicationOut(
                    id=app.id,
                    selector=app.selector,
                    revision=app.revision,
                    digest=app.digest,
                    strategy=app.strategy,
                    stable_revision=app.stable_revision,
                    rollout=rollouts.get(app.id),
                    image_overrides=dict(app.image_overrides or {}),
                    auto_update=list(app.auto_update or []),
                    drift=loaded(app.drift),
                    source=SourceOut(**shown(loaded_source(app.source))),
                    depends_on=list(app.depends_on or []),
                    missing_dependencies=missing(app.depends_on or [], live),
                    created_at=app.created_at,
                    updated_at=app.updated_at,
                    clusters=clusters,
                )
            )
        return views
