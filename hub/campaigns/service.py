"""Fix campaigns: planned from the applications' current releases, started in one transaction (the
campaign, one release per application, each one's run, the audit entries), followed by the monitor."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.log import record
from hub.auth.roles import system_actor
from hub.campaigns.plan import Candidate, FixPlan, Target, plan_fix, vulnerable
from hub.campaigns.progress import ApplicationProgress, CampaignState, campaign_verdict
from hub.campaigns.views import (
    CampaignApplicationOut,
    CampaignOut,
    FixOut,
    FixPlanOut,
    FixResult,
    SkippedOut,
)
from hub.errors import Invalid, NotFound
from hub.images.references import ImageRefError, normalise_name
from hub.images.tags import VersionKey, parse_version
from hub.overrides.spec import parse_value
from hub.overrides.usage import image_uses
from hub.rollouts.model import RunState
from hub.rollouts.service import RolloutService
from hub.services.applications import ApplicationService
from hub.services.context import ServiceContext
from hub.services.releases import current_releases
from hub.sources.store import release_objects
from hub.store import models

ACTOR = system_actor("campaigns")
# The stored image column's width: a canonical name (docker.io/library/ added) longer than it is refused.
MAX_IMAGE_NAME = 255


class VulnerableClusters(Protocol):
    """How many clusters report running `repository` at a version below `older_than` (one application's
    or any): the image-version index answers it."""

    def __call__(
        self, session: AsyncSession, repository: str, *, older_than: VersionKey, application: str | None = None
    ) -> Awaitable[int]: ...


@dataclass(frozen=True)
class FixRequest:
    image: str
    to: str
    older_than: str | None = None
    strategy: str | None = None


@dataclass(frozen=True)
class _Parsed:
    repository: str
    target: Target
    older_than: VersionKey
    older_than_text: str


def _parse(request: FixRequest) -> _Parsed:
    try:
        repository = normalise_name(request.image)
    except ImageRefError as error:
        raise Invalid(f"image {request.image!r}: {error}") from error
    if len(repository) > MAX_IMAGE_NAME:
        raise Invalid(f"image {request.image!r}: at most {MAX_IMAGE_NAME} characters as {repository}")
    try:
        tag, digest = parse_value(request.image, request.to)
    except ValueError as error:
        raise Invalid(str(error)) from error
    version = parse_version(tag) if tag else None
    older_text = request.older_than or (tag if version is not None else None)
    if older_text is None:
        raise Invalid(
            f"--to {request.to!r} is not a version: say which versions are vulnerable with older_than (--older-than)"
        )
    older = parse_version(older_text)
    if older is None:
        raise Invalid(f"older_than {older_text!r} is not a version (e.g. 1.27.4 or v2.1)")
    if version is not None and version.key < older.key:
        raise Invalid(f"--to {request.to} is itself older than {older_text}: it would not fix anything")
    return _Parsed(repository, Target(tag, digest, version), older.key, older_text)


def _plan_out(parsed: _Parsed, plan: FixPlan, target_text: str) -> FixPlanOut:
    return FixPlanOut(
        image=parsed.repository,
        target=target_text,
        older_than=parsed.older_than_text,
        fixes=[
            FixOut(application=f.application, found=f.found, image_override=f.override.value, strategy=f.strategy)
            for f in plan.fixes
        ],
        skipped=[SkippedOut(application=s.application, references=s.references, reason=s.reason) for s in plan.skipped],
        current=plan.current,
    )


class CampaignService:
    def __init__(
        self,
        ctx: ServiceContext,
        applications: ApplicationService,
        rollouts: RolloutService,
        vulnerable_clusters: VulnerableClusters,
    ) -> None:
        self.ctx = ctx
        self.applications = applications
        self.rollouts = rollouts
        self.vulnerable_clusters = vulnerable_clusters

    async def _plan(self, session: AsyncSession, parsed: _Parsed, strategy: str | None) -> FixPlan:
        candidates = [
            Candidate(app.id, await release_objects(session, release), app.strategy)
            for app, release in await current_releases(session)
        ]
        return plan_fix(candidates, parsed.repository, parsed.target, parsed.older_than, strategy)

    async def fix(self, request: FixRequest, *, actor: str, dry_run: bool) -> FixResult:
        parsed = _parse(request)
        if dry_run:
            async with self.ctx.reading() as session:
                if request.strategy is not None:
                    await self.rollouts.check_strategy(session, request.strategy)
                plan = await self._plan(session, parsed, request.strategy)
            return FixResult(dry_run=True, plan=_plan_out(parsed, plan, request.to), campaign=None)
        async with self.ctx.writing() as session:
            if request.strategy is not None:
                await self.rollouts.check_strategy(session, request.strategy)
            plan = await self._plan(session, parsed, request.strategy)
            now = self.ctx.clock()
            row = models.Campaign(
                image=parsed.repository,
                target=request.to,
                older_than=parsed.older_than_text,
                strategy=request.strategy,
                state=str(CampaignState.RUNNING),
                active=True,
                reason="starting",
                skipped=[
                    {"application": s.application, "references": s.references, "reason": s.reason} for s in plan.skipped
                ],
                created_at=now,
                created_by=actor,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            await record(
                session,
                time=now,
                actor=actor,
                action="campaign.started",
                reason=f"fix {parsed.repository} older than {parsed.older_than_text} with {request.to}",
                details={
                    "campaign": row.id,
                    "image": parsed.repository,
                    "to": request.to,
                    "older_than": parsed.older_than_text,
                    "strategy": request.strategy,
                    "applications": [f.application for f in plan.fixes],
                    "skipped": [s.application for s in plan.skipped],
                },
            )
            for fix in plan.fixes:
                app = await session.get(models.Application, fix.application)
                assert app is not None
                revision = await self.applications.release_with_overrides(
                    session,
                    app,
                    {parsed.repository: fix.override},
                    actor=actor,
                    cause=f"campaign {row.id}: {parsed.repository} {fix.override.value}",
                    run_strategy=request.strategy,
                )
                assert revision is not None, "a planned fix changes the manifests"
                run_id = await session.scalar(
                    select(models.RolloutRun.id).where(
                        models.RolloutRun.application_id == app.id, models.RolloutRun.revision == revision
                    )
                )
                session.add(
                    models.CampaignApplication(
                        campaign_id=row.id,
                        application_id=app.id,
                        found=fix.found,
                        override=fix.override.value,
                        revision=revision,
                        run_id=run_id,
                    )
                )
            await session.flush()
            await self._evaluate(session, row)
            campaign_id = row.id
        return FixResult(dry_run=False, plan=_plan_out(parsed, plan, request.to), campaign=await self.get(campaign_id))

    # -- following ----------------------------------------------------------------------------------

    async def _progress(self, session: AsyncSession, row: models.Campaign) -> tuple[list[CampaignApplicationOut], int]:
        older = parse_version(row.older_than)
        assert older is not None, "checked when the campaign started"
        members = list(
            await session.scalars(
                select(models.CampaignApplication)
                .where(models.CampaignApplication.campaign_id == row.id)
                .order_by(models.CampaignApplication.application_id)
            )
        )
        out: list[CampaignApplicationOut] = []
        for member in members:
            run = await session.get(models.RolloutRun, member.run_id) if member.run_id is not None else None
            app = await session.get(models.Application, member.application_id)
            live = app is not None and app.deleted_at is None
            release = await session.get(models.Release, (app.id, app.revision)) if live and app is not None else None
            desired_vulnerable = release is not None and any(
                vulnerable(u, older.key) for u in image_uses(await release_objects(session, release), row.image)
            )
            out.append(
                CampaignApplicationOut(
                    application=member.application_id,
                    found=list(member.found),
                    image_override=member.override,
                    revision=member.revision,
                    run_id=member.run_id,
                    run_state=RunState(run.state) if run is not None else None,
                    current_revision=app.revision if live and app is not None else None,
                    desired_vulnerable=desired_vulnerable,
                    vulnerable_clusters=await self.vulnerable_clusters(
                        session, row.image, older_than=older.key, application=member.application_id
                    ),
                )
            )
        return out, await self.vulnerable_clusters(session, row.image, older_than=older.key)

    def _view(self, row: models.Campaign, applications: list[CampaignApplicationOut], count: int) -> CampaignOut:
        return CampaignOut(
            id=row.id,
            image=row.image,
            target=row.target,
            older_than=row.older_than,
            strategy=row.strategy,
            state=CampaignState(row.state),
            reason=row.reason,
            vulnerable_clusters=count,
            created_at=row.created_at,
            created_by=row.created_by,
            finished_at=row.finished_at,
            applications=applications,
            skipped=[SkippedOut.model_validate(s) for s in row.skipped],
        )

    async def get(self, campaign_id: int) -> CampaignOut:
        async with self.ctx.reading() as session:
            row = await session.get(models.Campaign, campaign_id)
            if row is None:
                raise NotFound(f"campaign {campaign_id} does not exist")
            applications, count = await self._progress(session, row)
            return self._view(row, applications, count)

    async def find(self, *, active: bool | None = None, limit: int = 100) -> list[CampaignOut]:
        async with self.ctx.reading() as session:
            query = select(models.Campaign).order_by(models.Campaign.id.desc()).limit(limit)
            if active is not None:
                query = query.where(models.Campaign.active.is_(active))
            views = []
            for row in await session.scalars(query):
                applications, count = await self._progress(session, row)
                views.append(self._view(row, applications, count))
            return views

    async def evaluate_active(self) -> int:
        """Re-judge every active campaign; a change of state is stored and recorded. How many are active."""
        async with self.ctx.reading() as session:
            ids = list(await session.scalars(select(models.Campaign.id).where(models.Campaign.active.is_(True))))
        for campaign_id in ids:
            async with self.ctx.storing() as session:
                row = await session.get(models.Campaign, campaign_id, with_for_update=True)
                if row is not None and row.active:
                    await self._evaluate(session, row)
        if ids:
            # A state change is an audit event (campaign.finished is a notification): tell the notifier.
            self.ctx.audit_signal.set()
        return len(ids)

    async def _evaluate(self, session: AsyncSession, row: models.Campaign) -> None:
        applications, count = await self._progress(session, row)
        verdict = campaign_verdict(
            [
                ApplicationProgress(a.application, a.run_state, a.desired_vulnerable)
                for a in applications
                if a.current_revision is not None
            ],
            count,
        )
        unchanged = row.state == verdict.state and row.vulnerable_clusters == count and row.reason == verdict.reason
        if unchanged:
            return
        now = self.ctx.clock()
        changed_state = row.state != verdict.state
        row.state, row.reason, row.vulnerable_clusters, row.updated_at = verdict.state, verdict.reason, count, now
        if verdict.state is CampaignState.SUCCEEDED:
            row.active, row.finished_at = False, now
        if changed_state:
            action = "campaign.finished" if verdict.state is CampaignState.SUCCEEDED else f"campaign.{verdict.state}"
            await record(
                session,
                time=now,
                actor=ACTOR,
                action=action,
                reason=verdict.reason,
                details={
                    "campaign": row.id,
                    "image": row.image,
                    "to": row.target,
                    "applications": [a.application for a in applications],
                    "vulnerable_clusters": count,
                },
            )
