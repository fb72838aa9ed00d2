"""Sync: make the hub match a set of documents from one source (repository, path).

Everything is checked before anything changes (every problem at once, 422); roles are checked per
kind as the routers check them (403 naming each document); then the plan is computed (plan.py) and
applied step by step through the services the routers call, each step in its own transaction with
its managed_objects row and a `fleet.applied` audit entry carrying the origin; last, one
`fleet.synced` entry with the origin and the plan's counts. A step that fails stops the sync: what
was applied before it stays applied and recorded, and a second sync carries on from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.audit.log import record
from hub.auth.roles import Principal, Role
from hub.errors import Conflict, Forbidden
from hub.fleetcode.documents import (
    APPLICATION,
    POLICY,
    STRATEGY,
    SUBSCRIPTION,
    TEMPLATE,
    Document,
    checked_document,
    duplicates,
)
from hub.fleetcode.kinds import (
    ApplicationSync,
    KindSync,
    PolicySync,
    StrategySync,
    SubscriptionSync,
    TemplateSync,
    invalid,
    strategy_change_needs_admin,
    validated,
)
from hub.fleetcode.plan import Action, Key, Managed, Plan, Source, Step, plan_sync
from hub.fleetcode.store import forget, managed_objects, remember
from hub.fleetcode.views import SyncIn, SyncOut, SyncStep
from hub.notifications.service import NotificationService
from hub.policies.service import PolicyService
from hub.rollouts.service import StrategyService
from hub.services.applications import ApplicationService
from hub.services.context import ServiceContext
from hub.sources.origin import Origin
from hub.templates.service import TemplateService

SYNCED = "fleet.synced"
APPLIED = "fleet.applied"


def _documents(body: SyncIn) -> tuple[list[Document], list[str]]:
    documents: list[Document] = []
    problems: list[str] = []
    for index, given in enumerate(body.documents):
        where = given.file or f"documents.{index}"
        doc, shape = checked_document(given.model_dump(by_alias=True, exclude={"file"}), where)
        problems += [str(p) for p in shape]
        if doc is not None:
            documents.append(doc)
    problems += [str(p) for p in duplicates(documents)]
    return documents, problems


class SyncService:
    def __init__(self, ctx: ServiceContext, kinds: Mapping[str, KindSync]) -> None:
        self.ctx = ctx
        self.kinds = kinds

    def _check(self, documents: list[Document], shape: list[str], principal: Principal) -> None:
        """Every problem of the documents at once (422), then the roles each kind needs (403)."""
        problems = shape + [p for doc in documents for p in validated(self.kinds, doc)]
        if problems:
            raise invalid(problems)
        refused = sorted(
            {
                f"{doc.label} needs the {self.kinds[doc.kind].role} role"
                for doc in documents
                if not self._may(principal, doc.kind)
            }
        )
        if refused:
            raise Forbidden(f"sync refused, nothing changed; {principal.describe()}: " + "; ".join(refused))

    def _may(self, principal: Principal, kind: str) -> bool:
        sync = self.kinds.get(kind)
        return sync is not None and principal.has_role(sync.role)

    async def _plan(
        self, documents: list[Document], source: Source, prune: bool
    ) -> tuple[Plan, dict[Key, Managed], list[str]]:
        """The plan, the managed records, and the strategy changes only an admin may make."""
        keys = {(d.kind, d.name) for d in documents}
        desired = {(d.kind, d.name): self.kinds[d.kind].desired(d) for d in documents}
        current: dict[Key, Mapping[str, Any]] = {}
        async with self.ctx.reading() as session:
            managed = await managed_objects(session, keys, source)
            for key in keys | set(managed):
                sync = self.kinds.get(key[0])
                if sync is None:
                    continue
                state = await sync.current(session, key[1], managed.get(key))
                if state is not None:
                    current[key] = state
        admin_only = [
            f"Application {key[1]}: changing its strategy {current[key]['strategy']} needs the admin role"
            for key in sorted(desired)
            if key[0] == APPLICATION and strategy_change_needs_admin(desired[key], current.get(key))
        ]
        return plan_sync(documents, desired, current, managed, source, prune=prune), managed, admin_only

    async def sync(self, body: SyncIn, principal: Principal) -> SyncOut:
        documents, shape = _documents(body)
        self._check(documents, shape, principal)
        origin = body.origin
        source = Source(origin.repository, origin.path)
        plan, managed, admin_only = await self._plan(documents, source, body.prune)
        if plan.conflicts:
            raise Conflict("sync refused, nothing changed: " + "; ".join(plan.conflicts), plan.conflicts)
        deleting = [s for s in plan.steps if s.action == Action.DELETE and not s.skipped]
        refused = sorted(
            {
                f"deleting {s.kind} {s.name} needs the {self.kinds[s.kind].role} role"
                for s in deleting
                if not self._may(principal, s.kind)
            }
        )
        # The strategy holds the approval gates a deployer must not step around (as PUT refuses it).
        refused += [] if principal.has_role(Role.ADMIN) else admin_only
        if refused:
            raise Forbidden(f"sync refused, nothing changed; {principal.describe()}: " + "; ".join(refused))
        if not body.dry_run:
            by_key = {(d.kind, d.name): d for d in documents}
            for step in plan.steps:
                await self._apply(step, by_key, managed, origin, principal)
            async with self.ctx.writing() as session:
                await record(
                    session,
                    time=self.ctx.clock(),
                    actor=principal.name,
                    action=SYNCED,
                    details={"origin": origin.model_dump(), "prune": body.prune, "counts": plan.counts()},
                )
        return SyncOut(
            plan=[
                SyncStep(kind=s.kind, name=s.name, action=s.action, detail=s.detail, skipped=s.skipped, file=s.file)
                for s in plan.steps
            ],
            applied=not body.dry_run,
            counts=plan.counts(),
        )

    async def _apply(
        self,
        step: Step,
        documents: Mapping[Key, Document],
        managed: Mapping[Key, Managed],
        origin: Origin,
        principal: Principal,
    ) -> None:
        kind, name, action, skipped = step.kind, step.name, step.action, step.skipped
        key = (kind, name)
        sync = self.kinds[kind]
        doc = documents.get(key)
        ref = managed[key].ref if key in managed else None
        if action in (Action.CREATE, Action.UPDATE):
            assert doc is not None
            ref = (
                await sync.apply(doc, principal, managed.get(key), origin.model_copy(update={"file": doc.file})) or ref
            )
        elif action == Action.DELETE and not skipped and step.exists:
            await sync.delete(managed[key], principal, origin)
        async with self.ctx.writing() as session:
            now = self.ctx.clock()
            if doc is not None:
                where = origin.model_copy(update={"file": doc.file})
                # Kinds the hub knows by number keep the digest their normal form compares.
                digest = sync.desired(doc).get("digest") if ref else None
                await remember(session, key, where, now, ref=ref, digest=digest)
            elif not skipped:
                await forget(session, key)
            if action == Action.UNCHANGED or skipped or not step.exists:
                return
            where = origin.model_copy(update={"file": doc.file if doc else None})
            await record(
                session,
                time=now,
                actor=principal.name,
                action=APPLIED,
                application=name if kind == "Application" else None,
                strategy=name if kind == "Strategy" else None,
                details={"kind": kind, "name": name, "action": str(action), "origin": where.model_dump()},
            )


def sync_service(
    ctx: ServiceContext,
    applications: ApplicationService,
    strategies: StrategyService,
    notifications: NotificationService,
    templates: TemplateService,
    policies: PolicyService,
) -> SyncService:
    """The sync of every kind a fleet repository holds."""
    return SyncService(
        ctx,
        {
            TEMPLATE: TemplateSync(templates),
            POLICY: PolicySync(policies),
            APPLICATION: ApplicationSync(applications),
            STRATEGY: StrategySync(strategies),
            SUBSCRIPTION: SubscriptionSync(notifications),
        },
    )
