"""Rollouts in the hub: storing strategies, starting a run when a release of an application with a
strategy is made, evaluating runs (the driver's unit of work), operator controls, and reading runs back.

Every evaluation runs in one write transaction that holds the run's row: the engine's step, the targets
it changed, the desired-state messages it sends (placements and outbox rows) and its audit entries
commit together or not at all, so a hub killed at any point neither loses nor repeats a dispatch.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.log import record
from hub.auth.roles import system_actor
from hub.drift.policy import loaded
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.placements import Change
from hub.rollouts import engine
from hub.rollouts import store as runs
from hub.rollouts.model import GateKey, Happening, Observation, Phase, RunState, Target
from hub.rollouts.plan import candidates, plan_waves
from hub.rollouts.spec import StrategySpec, spec_problems
from hub.rollouts.views import (
    ApprovalOut,
    RolloutOut,
    RolloutSummary,
    RunRecord,
    StrategyOut,
    StrategyVersionOut,
    rollout_view,
)
from hub.selectors import parse_selector
from hub.services.context import ServiceContext, to_placement, write_changes
from hub.sources.service import SourceService
from hub.store import models
from schemas.v1 import is_dns_label

log = logging.getLogger(__name__)

ACTOR = system_actor("rollouts")
_CONTROL_ACTIONS = {
    "approve": "rollout.approved",
    "pause": "rollout.paused",
    "resume": "rollout.resumed",
    "abort": "rollout.aborted",
}
# Runs evaluated per pass of the driver before it looks for newer work again.
_BATCH = 50


def parse_spec(name: str, source: Any) -> StrategySpec:
    try:
        return StrategySpec.model_validate(source)
    except ValidationError as error:
        problems = spec_problems(error)
        raise Invalid(f"strategy {name}: " + "; ".join(problems), problems) from error


def _check_name(name: str) -> None:
    if not is_dns_label(name):
        raise Invalid(
            f"invalid strategy name {name!r}: must be a DNS-1123 label (at most 63 lowercase letters, digits and "
            "'-', starting and ending with a letter or digit)"
        )


class StrategyService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def put(self, name: str, source: Any, *, actor: str) -> tuple[StrategyOut, bool]:
        """The strategy after the PUT, and whether a new version was made (an unchanged one makes none)."""
        _check_name(name)
        spec = parse_spec(name, source)
        digest = spec.digest()
        async with self.ctx.writing() as session:
            now = self.ctx.clock()
            row = await session.get(models.Strategy, name)
            if row is not None and row.deleted_at is None and row.digest == digest:
                created = False
            else:
                created = True
                if row is None:
                    row = models.Strategy(name=name, version=0, created_at=now)
                    session.add(row)
                elif row.deleted_at is not None:
                    row.deleted_at = None
                    row.created_at = now
                row.version += 1
                row.digest = digest
                row.updated_at = now
                await session.flush()
                session.add(
                    models.StrategyVersion(
                        name=name,
                        version=row.version,
                        spec=spec.dump(),
                        digest=digest,
                        created_at=now,
                        created_by=actor,
                    )
                )
                await record(
                    session,
                    time=now,
                    actor=actor,
                    action="strategy.applied",
                    strategy=name,
                    digest=digest,
                    details={"version": row.version},
                )
        return await self.get(name), created

    async def _live(self, session: AsyncSession, name: str) -> models.Strategy:
        row = await session.get(models.Strategy, name)
        if row is None or row.deleted_at is not None:
            raise NotFound(f"strategy {name} does not exist")
        return row

    async def _view(self, session: AsyncSession, row: models.Strategy) -> StrategyOut:
        version = await session.get(models.StrategyVersion, (row.name, row.version))
        assert version is not None
        users = await session.scalars(
            select(models.Application.id)
            .where(models.Application.strategy == row.name, models.Application.deleted_at.is_(None))
            .order_by(models.Application.id)
        )
        return StrategyOut(
            name=row.name,
            version=row.version,
            digest=row.digest,
            spec=version.spec,
            created_at=row.created_at,
            updated_at=row.updated_at,
            applications=list(users),
        )

    async def get(self, name: str) -> StrategyOut:
        async with self.ctx.reading() as session:
            return await self._view(session, await self._live(session, name))

    async def find(self) -> list[StrategyOut]:
        async with self.ctx.reading() as session:
            rows = await session.scalars(
                select(models.Strategy).where(models.Strategy.deleted_at.is_(None)).order_by(models.Strategy.name)
            )
            return [await self._view(session, row) for row in rows]

    async def versions(self, name: str) -> list[StrategyVersionOut]:
        async with self.ctx.reading() as session:
            await self._live(session, name)
            rows = await session.scalars(
                select(models.StrategyVersion)
                .where(models.StrategyVersion.name == name)
                .order_by(models.StrategyVersion.version.desc())
            )
            return [StrategyVersionOut.model_validate(row) for row in rows]

    async def delete(self, name: str, *, actor: str) -> StrategyOut:
        async with self.ctx.writing() as session:
            row = await self._live(session, name)
            view = await self._view(session, row)
            if view.applications:
                raise Conflict(
                    f"strategy {name} is used by {', '.join(view.applications)}: give them another strategy "
                    "(fleetcast apply ... --strategy NAME, or --no-strategy) first"
                )
            now = self.ctx.clock()
            row.deleted_at = row.updated_at = now
            await record(session, time=now, actor=actor, action="strategy.deleted", strategy=name, digest=row.digest)
        return view


class RolloutService:
    def __init__(self, ctx: ServiceContext, sources: SourceService | None = None) -> None:
        self.ctx = ctx
        # What each cluster of a wave gets of a release (rendered per cluster for charts and templates).
        self.sources = sources if sources is not None else SourceService(None, clock=ctx.clock)

    # -- inside the release transaction -------------------------------------------------------------

    async def check_strategy(self, session: AsyncSession, name: str) -> None:
        row = await session.get(models.Strategy, name)
        if row is None or row.deleted_at is not None:
            raise Invalid(f"strategy {name} does not exist (fleetcast strategy list shows those that do)")

    async def start(
        self, session: AsyncSession, app: models.Application, *, actor: str, strategy: str | None = None
    ) -> int:
        """A run for the application's new release, under the current version of `strategy` (None: the
        application's own); the active run, if any, is superseded. The first step is taken at once (same
        transaction)."""
        name = strategy or app.strategy
        assert name is not None
        now = self.ctx.clock()
        strategy_row = await session.get(models.Strategy, name)
        assert strategy_row is not None and strategy_row.deleted_at is None, "checked when the strategy was set"
        version = await session.get(models.StrategyVersion, (strategy_row.name, strategy_row.version))
        assert version is not None
        spec = StrategySpec.model_validate(version.spec)
        release = await session.get(models.Release, (app.id, app.revision))
        assert release is not None

        clusters = {c.id: c.labels for c in await session.scalars(select(models.Cluster))}
        placements = {
            p.cluster_id: to_placement(p)
            for p in await session.scalars(select(models.Placement).where(models.Placement.application_id == app.id))
        }
        last_healthy = {
            s.cluster_id: s.last_healthy_revision
            for s in await session.scalars(select(models.Status).where(models.Status.application_id == app.id))
            if s.last_healthy_revision is not None
        }
        targets = plan_waves(spec, candidates(parse_selector(release.selector), clusters, placements, last_healthy))

        row = models.RolloutRun(
            application_id=app.id,
            revision=app.revision,
            digest=app.digest,
            strategy_name=strategy_row.name,
            strategy_version=strategy_row.version,
            state=str(RunState.PLANNED),
            active=False,  # set once the superseded run is no longer active (one active per application)
            wave=0,
            phase=str(Phase.BEFORE),
            gate=0,
            paused_by_failure=False,
            created_at=now,
            created_by=actor,
            updated_at=now,
            next_evaluation_at=now,
        )
        session.add(row)
        await session.flush()
        await self.supersede_active(
            session, app.id, reason=f"superseded by run {row.id} (revision {app.revision})", by=row.id
        )
        row.active = True
        session.add_all(runs.target_row(row.id, t) for t in targets)
        waves: dict[str, list[str]] = defaultdict(list)
        for target in targets:
            waves[spec.waves[target.wave].name if target.wave >= 0 else "(skipped)"].append(target.cluster)
        await record(
            session,
            time=now,
            actor=actor,
            action="rollout.planned",
            application=app.id,
            strategy=strategy_row.name,
            run_id=row.id,
            revision=app.revision,
            digest=app.digest,
            details={"strategy_version": strategy_row.version, "waves": dict(waves)},
        )
        await session.flush()
        await self._evaluate(session, row, now)
        return row.id

    async def supersede_active(
        self, session: AsyncSession, application: str, *, reason: str, by: int | None = None
    ) -> None:
        """A newer release ends the active run: it stops where it is (the new run starts over)."""
        await self._end_active(session, application, RunState.SUPERSEDED, reason, by)

    async def end_for_deletion(self, session: AsyncSession, application: str, actor: str) -> None:
        await self._end_active(session, application, RunState.ABORTED, f"application deleted by {actor}", None)

    async def _end_active(
        self, session: AsyncSession, application: str, state: RunState, reason: str, by: int | None
    ) -> None:
        active = await session.scalar(
            select(models.RolloutRun)
            .where(models.RolloutRun.application_id == application, models.RolloutRun.active.is_(True))
            .with_for_update()
        )
        if active is None:
            return
        now = self.ctx.clock()
        run = runs.run_of(active)
        ended = engine.supersede(run, reason) if state is RunState.SUPERSEDED else engine.abort(run, reason)
        runs.write_run(active, ended, now)
        active.superseded_by = by
        await session.flush()
        await record(
            session,
            time=now,
            actor=ACTOR,
            action=f"rollout.{state}",
            application=application,
            strategy=active.strategy_name,
            run_id=active.id,
            revision=active.revision,
            digest=active.digest,
            reason=reason,
        )

    # -- evaluating ---------------------------------------------------------------------------------

    async def evaluate(self, run_id: int) -> None:
        """The driver's unit of work: one due run, one transaction."""
        async with self.ctx.writing() as session:
            row = await session.scalar(
                select(models.RolloutRun).where(models.RolloutRun.id == run_id).with_for_update()
            )
            now = self.ctx.clock()
            if row is None or not row.active or row.next_evaluation_at is None or row.next_evaluation_at > now:
                return  # someone else got there first
            await self._evaluate(session, row, now)

    async def _load(
        self, session: AsyncSession, row: models.RolloutRun, now: datetime
    ) -> tuple[StrategySpec, dict[str, models.RolloutTarget], dict[str, Target], dict[str, Observation]]:
        spec = await self._spec(session, row)
        rows = await runs.target_rows(session, row.id)
        targets = {name: runs.target_of(r) for name, r in rows.items()}
        release = await session.get(models.Release, (row.application_id, row.revision))
        assert release is not None
        observations = await runs.observations(
            session,
            row.application_id,
            parse_selector(release.selector),
            targets,
            now,
            timedelta(seconds=self.ctx.settings.unreachable_after_seconds),
        )
        return spec, rows, targets, observations

    async def _approvals(self, session: AsyncSession, run_id: int) -> list[models.RolloutApproval]:
        rows = await session.scalars(
            select(models.RolloutApproval)
            .where(models.RolloutApproval.run_id == run_id)
            .order_by(models.RolloutApproval.id)
        )
        return list(rows)

    async def _evaluate(self, session: AsyncSession, row: models.RolloutRun, now: datetime) -> None:
        spec, rows, targets, observations = await self._load(session, row, now)
        approvals = {GateKey(a.wave, Phase(a.phase), a.gate) for a in await self._approvals(session, row.id)}
        step = engine.advance(runs.run_of(row), spec, targets, observations, approvals, now)
        await self._persist(session, row, rows, targets, step, now)

    async def _persist(
        self,
        session: AsyncSession,
        row: models.RolloutRun,
        rows: dict[str, models.RolloutTarget],
        before: dict[str, Target],
        step: engine.Step,
        now: datetime,
    ) -> None:
        # Everything goes to the database in one flush at the end, not a flush per read on the way.
        with session.no_autoflush:
            runs.write_run(row, step.run, now)
            for name, target in step.targets.items():
                if before.get(name) != target:
                    runs.write_target(rows[name], target)
            releases = await self._send(session, row.application_id, step.dispatches)
            for happening in step.happenings:
                await self._record(session, row, happening, releases, now)
            if step.run.state.active:
                row.next_evaluation_at = step.wake_at
            if step.run.state is RunState.SUCCEEDED:
                app = await session.get(models.Application, row.application_id)
                if app is not None and (app.stable_revision or 0) < row.revision:
                    app.stable_revision = row.revision
        await session.flush()

    async def _send(
        self, session: AsyncSession, application: str, dispatches: Sequence[engine.Dispatch]
    ) -> dict[int, models.Release]:
        """Placements and outbox records for the step's dispatches; the releases they carry, by revision."""
        by_revision: dict[int, list[Change]] = defaultdict(list)
        for dispatch in dispatches:
            by_revision[dispatch.change.revision].append(dispatch.change)
        releases: dict[int, models.Release] = {}
        for revision, changes in sorted(by_revision.items()):
            release = await session.get(models.Release, (application, revision))
            if release is not None:
                releases[revision] = release
            bundles = [c.cluster for c in changes if c.kind == "bundle"]
            objects = await self.sources.objects_for(session, release, bundles) if release is not None else {}
            policy = loaded(release.drift) if release is not None else None
            await write_changes(
                self.ctx,
                session,
                changes,
                lambda _app, cluster: objects.get(cluster, []),  # noqa: B023 (used at once); [] for removals
                lambda _app: policy,  # noqa: B023 (used at once)
            )
        return releases

    async def _record(
        self,
        session: AsyncSession,
        row: models.RolloutRun,
        happening: Happening,
        releases: dict[int, models.Release],
        now: datetime,
    ) -> None:
        # What a run does is about its release unless it says otherwise (a restore sends the baseline).
        revision = row.revision if happening.revision is None else happening.revision
        digest = row.digest if revision == row.revision else releases[revision].digest if revision in releases else None
        await record(
            session,
            time=now,
            actor=ACTOR,
            action=happening.action,
            application=row.application_id,
            cluster=happening.cluster,
            strategy=row.strategy_name,
            run_id=row.id,
            revision=revision,
            digest=digest,
            reason=happening.reason,
            details=happening.details,
        )

    async def postpone(self, run_id: int, seconds: float) -> None:
        async with self.ctx.writing() as session:
            row = await session.get(models.RolloutRun, run_id)
            if row is not None and row.active:
                row.next_evaluation_at = self.ctx.clock() + timedelta(seconds=seconds)

    async def due(self, limit: int = _BATCH) -> list[int]:
        async with self.ctx.reading() as session:
            return await runs.due_runs(session, self.ctx.clock(), limit)

    async def next_due(self) -> datetime | None:
        async with self.ctx.reading() as session:
            return await runs.next_due(session)

    # -- operator controls --------------------------------------------------------------------------

    async def _latest(self, session: AsyncSession, application: str, *, lock: bool) -> models.RolloutRun:
        query = (
            select(models.RolloutRun)
            .where(models.RolloutRun.application_id == application)
            .order_by(models.RolloutRun.id.desc())
            .limit(1)
        )
        row = await session.scalar(query.with_for_update() if lock else query)
        if row is None:
            app = await session.get(models.Application, application)
            if app is None or app.deleted_at is not None:
                raise NotFound(f"application {application} does not exist")
            raise NotFound(f"application {application} has no rollout (a release with a strategy starts one)")
        return row

    async def control(
        self,
        application: str,
        action: str,
        *,
        actor: str,
        has_role: Callable[[str], bool],
        comment: str | None = None,
        wave: str | None = None,
        revision: int | None = None,
    ) -> RolloutOut:
        """approve | pause | resume | abort | rollback the application's latest run, as `actor`."""
        async with self.ctx.writing() as session:
            row = await self._latest(session, application, lock=True)
            now = self.ctx.clock()
            if revision is not None and revision != row.revision:
                raise Conflict(
                    f"the rollout of {application} carries revision {row.revision}, not {revision}: "
                    "look at it again (fleetcast rollout status) before you act on it"
                )
            run = runs.run_of(row)
            reason = f"{action} by {actor}" + (f": {comment}" if comment else "")
            details: dict[str, Any] = {}
            try:
                if action == "approve":
                    spec = await self._spec(session, row)
                    key, role = engine.approve(run, spec, has_role, wave=wave)
                    session.add(
                        models.RolloutApproval(
                            run_id=row.id,
                            wave=key.wave,
                            phase=str(key.phase),
                            gate=key.gate,
                            revision=row.revision,
                            digest=row.digest,
                            actor=actor,
                            role=role,
                            decided_at=now,
                            comment=comment,
                        )
                    )
                    details = {
                        "wave": spec.waves[key.wave].name,
                        "phase": str(key.phase),
                        "gate": key.gate,
                        "role": role,
                    }
                elif action == "pause":
                    runs.write_run(row, engine.pause(run, reason), now)
                elif action == "resume":
                    rows = await runs.target_rows(session, row.id)
                    resumed, rearmed = engine.resume(run, {n: runs.target_of(r) for n, r in rows.items()}, now)
                    runs.write_run(row, resumed, now)
                    for name, target in rearmed.items():
                        runs.write_target(rows[name], target)
                    details = {"rearmed": sorted(rearmed)}
                elif action == "abort":
                    runs.write_run(row, engine.abort(run, reason), now)
                elif action == "rollback":
                    await self._check_rollback(session, row)
                    spec, rows, targets, observations = await self._load(session, row, now)
                    step = engine.rollback(run, spec, targets, observations, reason, now)
                    row.active = True  # a finished run that is rolled back is active again
                    await record(
                        session,
                        time=now,
                        actor=actor,
                        action="rollout.rollback-requested",
                        application=application,
                        strategy=row.strategy_name,
                        run_id=row.id,
                        revision=row.revision,
                        digest=row.digest,
                        reason=comment,
                    )
                    await self._persist(session, row, rows, targets, step, now)
                else:
                    raise Invalid(f"unknown rollout action {action!r}: approve, pause, resume, abort or rollback")
            except engine.ControlError as error:
                raise Conflict(str(error)) from error
            except engine.NotAllowed as error:
                raise Forbidden(f"{error}; {actor} does not hold it") from error
            if action != "rollback":
                await record(
                    session,
                    time=now,
                    actor=actor,
                    action=_CONTROL_ACTIONS[action],
                    application=application,
                    strategy=row.strategy_name,
                    run_id=row.id,
                    revision=row.revision,
                    digest=row.digest,
                    reason=comment,
                    details=details,
                )
                await session.flush()
                if action in ("approve", "resume"):
                    # Act on it now, not at the driver's next pass: an approval dispatches the next wave
                    # within the request.
                    await self._evaluate(session, row, now)
            run_id = row.id
        return await self.status(application, run_id)

    async def _check_rollback(self, session: AsyncSession, row: models.RolloutRun) -> None:
        if row.active:
            return
        newer = await session.scalar(
            select(func.count())
            .select_from(models.RolloutRun)
            .where(models.RolloutRun.application_id == row.application_id, models.RolloutRun.active.is_(True))
        )
        if newer:
            raise Conflict(f"application {row.application_id} has another rollout in progress")

    async def _spec(self, session: AsyncSession, row: models.RolloutRun) -> StrategySpec:
        version = await session.get(models.StrategyVersion, (row.strategy_name, row.strategy_version))
        assert version is not None
        return StrategySpec.model_validate(version.spec)

    # -- reading ------------------------------------------------------------------------------------

    async def status(self, application: str, run_id: int | None = None) -> RolloutOut:
        async with self.ctx.reading() as session:
            if run_id is None:
                return await self._view(session, await self._latest(session, application, lock=False))
            row = await session.get(models.RolloutRun, run_id)
            if row is None or row.application_id != application:
                raise NotFound(f"application {application} has no rollout {run_id}")
            return await self._view(session, row)

    async def get(self, run_id: int) -> RolloutOut:
        async with self.ctx.reading() as session:
            row = await session.get(models.RolloutRun, run_id)
            if row is None:
                raise NotFound(f"rollout {run_id} does not exist")
            return await self._view(session, row)

    async def _view(self, session: AsyncSession, row: models.RolloutRun) -> RolloutOut:
        now = self.ctx.clock()
        spec, _rows, targets, observations = await self._load(session, row, now)
        approvals = [
            ApprovalOut(
                wave=spec.waves[a.wave].name,
                phase=a.phase,
                gate=a.gate,
                revision=a.revision,
                digest=a.digest,
                actor=a.actor,
                role=a.role,
                decided_at=a.decided_at,
                comment=a.comment,
            )
            for a in await self._approvals(session, row.id)
        ]
        record_ = RunRecord(
            strategy=row.strategy_name,
            strategy_version=row.strategy_version,
            created_at=row.created_at,
            created_by=row.created_by,
            updated_at=row.updated_at,
            finished_at=row.finished_at,
            next_evaluation_at=row.next_evaluation_at,
            superseded_by=row.superseded_by,
        )
        return rollout_view(runs.run_of(row), record_, spec, list(targets.values()), observations, approvals, now)

    async def history(
        self, application: str | None = None, *, active: bool | None = None, limit: int = 100
    ) -> list[RolloutSummary]:
        async with self.ctx.reading() as session:
            query = select(models.RolloutRun).order_by(models.RolloutRun.id.desc()).limit(limit)
            if application is not None:
                app = await session.get(models.Application, application)
                if app is None:
                    raise NotFound(f"application {application} does not exist")
                query = query.where(models.RolloutRun.application_id == application)
            if active is not None:
                query = query.where(models.RolloutRun.active.is_(active))
            return [summary(r) for r in await session.scalars(query)]

    async def latest_summaries(self, session: AsyncSession, applications: Sequence[str]) -> dict[str, RolloutSummary]:
        """The newest run of each application (for application views)."""
        if not applications:
            return {}
        newest = (
            select(func.max(models.RolloutRun.id))
            .where(models.RolloutRun.application_id.in_(applications))
            .group_by(models.RolloutRun.application_id)
        )
        rows = await session.scalars(select(models.RolloutRun).where(models.RolloutRun.id.in_(newest)))
        return {r.application_id: summary(r) for r in rows}


def summary(row: models.RolloutRun) -> RolloutSummary:
    return RolloutSummary(
        id=row.id,
        application=row.application_id,
        revision=row.revision,
        strategy=row.strategy_name,
        strategy_version=row.strategy_version,
        state=RunState(row.state),
        reason=row.reason,
        created_at=row.created_at,
        created_by=row.created_by,
        finished_at=row.finished_at,
    )
