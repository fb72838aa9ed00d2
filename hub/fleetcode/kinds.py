"""Each kind sync can manage: the role it needs (as its router demands), its checks, its normal form
(the document's and the hub's, compared by the plan), and how it is applied and deleted (through the
services the routers call). Templates and policies join here when their services exist: a kind
without an entry in `SyncService.kinds` is refused by name."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.roles import Principal, Role
from hub.autoupdate.spec import parse_policies
from hub.drift.policy import parse_policy, stored
from hub.errors import Invalid, NotFound
from hub.fleetcode.checks import application_problems, strategy_problems, subscription_problems
from hub.fleetcode.documents import APPLICATION, STRATEGY, SUBSCRIPTION, Document
from hub.fleetcode.plan import Managed
from hub.manifests import ManifestError, parse_manifests
from hub.notifications.service import NotificationService
from hub.notifications.spec import SubscriptionIn, check_subscription
from hub.overrides.spec import as_stored, parse_overrides
from hub.rollouts.service import StrategyService
from hub.rollouts.spec import StrategySpec
from hub.selectors import parse_selector
from hub.services.applications import ApplicationService, source_of
from hub.store import models


class KindSync(Protocol):
    kind: str
    role: Role

    def problems(self, doc: Document) -> list[str]:
        """What is wrong with the document's spec, checked before anything changes."""

    def desired(self, doc: Document) -> dict[str, Any]:
        """The document in the normal form `current` gives (only called when `problems` found none)."""

    async def current(self, session: AsyncSession, name: str, managed: Managed | None) -> dict[str, Any] | None:
        """The hub's object in normal form; None when it does not exist."""

    async def apply(self, doc: Document, principal: Principal, managed: Managed | None) -> str | None:
        """Create or update the object as `principal`; the hub's id of it when that is not its name."""

    async def delete(self, managed: Managed, principal: Principal) -> None: ...


def _digest(value: Any) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# Application fields whose hub side is being built with issue 9's chart and template sources: until the
# hub stores them, a document using them is refused rather than half-applied.
_SOURCE_FIELDS = ("chart", "template", "values", "clusterValues", "dependsOn")


class ApplicationSync:
    kind = APPLICATION
    role = Role.DEPLOYER

    def __init__(self, applications: ApplicationService) -> None:
        self.applications = applications

    def problems(self, doc: Document) -> list[str]:
        # Not the whole fleet: what it refers to may live on the hub already (the services check that).
        found = [p.message for p in application_problems(doc, defaultdict(set), whole_fleet=False)]
        unsupported = [f for f in _SOURCE_FIELDS if f in doc.spec]
        if unsupported:
            found.append(f"{doc.label}: {', '.join(unsupported)}: not supported by this hub's application API yet")
        manifests = doc.spec.get("manifests")
        if not isinstance(manifests, list | str):
            found.append(f"{doc.label}: manifests are required (a list of objects, or YAML text)")
            return found
        try:
            parse_manifests(manifests)
        except ManifestError as error:
            found += [f"{doc.label}: manifests: {p}" for p in error.problems]
        return found

    def desired(self, doc: Document) -> dict[str, Any]:
        spec = doc.spec
        return {
            "selector": str(parse_selector(spec.get("selector"))),
            "manifests": parse_manifests(spec["manifests"]),
            "strategy": spec.get("strategy"),
            "image_overrides": as_stored(parse_overrides(spec.get("imageOverrides") or {})),
            "drift": stored(parse_policy(spec.get("drift") or {})),
            "auto_update": [p.stored() for p in parse_policies(spec.get("autoUpdate") or [])],
        }

    async def current(self, session: AsyncSession, name: str, managed: Managed | None) -> dict[str, Any] | None:
        app = await session.get(models.Application, name)
        if app is None or app.deleted_at is not None:
            return None
        release = await session.get(models.Release, (app.id, app.revision))
        assert release is not None
        return {
            "selector": app.selector,
            "manifests": source_of(release),
            "strategy": app.strategy,
            "image_overrides": dict(app.image_overrides or {}),
            "drift": app.drift,
            "auto_update": list(app.auto_update or []),
        }

    async def apply(self, doc: Document, principal: Principal, managed: Managed | None) -> str | None:
        spec = doc.spec
        await self.applications.put(
            doc.name,
            spec["manifests"],
            spec.get("selector") or "",
            actor=principal.name,
            strategy=spec.get("strategy"),
            may_change_strategy=principal.has_role(Role.ADMIN),
            image_overrides=spec.get("imageOverrides") or {},
            auto_update=spec.get("autoUpdate") or [],
            drift=spec.get("drift") or {},
        )
        return None

    async def delete(self, managed: Managed, principal: Principal) -> None:
        await self.applications.delete(managed.name, actor=principal.name)


class StrategySync:
    kind = STRATEGY
    role = Role.ADMIN

    def __init__(self, strategies: StrategyService) -> None:
        self.strategies = strategies

    def problems(self, doc: Document) -> list[str]:
        return [p.message for p in strategy_problems(doc)]

    def desired(self, doc: Document) -> dict[str, Any]:
        return {"digest": StrategySpec.model_validate(doc.spec).digest()}

    async def current(self, session: AsyncSession, name: str, managed: Managed | None) -> dict[str, Any] | None:
        row = await session.get(models.Strategy, name)
        return None if row is None or row.deleted_at is not None else {"digest": row.digest}

    async def apply(self, doc: Document, principal: Principal, managed: Managed | None) -> str | None:
        await self.strategies.put(doc.name, StrategySpec.model_validate(doc.spec).dump(), actor=principal.name)
        return None

    async def delete(self, managed: Managed, principal: Principal) -> None:
        await self.strategies.delete(managed.name, actor=principal.name)


class SubscriptionSync:
    """Subscriptions have numbers, not names: the managed row keeps the number and the digest of the
    spec it was made from. A changed one is replaced (removed and made again)."""

    kind = SUBSCRIPTION
    role = Role.ADMIN

    def __init__(self, notifications: NotificationService) -> None:
        self.notifications = notifications

    def problems(self, doc: Document) -> list[str]:
        return [p.message for p in subscription_problems(doc)]

    def desired(self, doc: Document) -> dict[str, Any]:
        return {"digest": _digest(SubscriptionIn.model_validate(doc.spec).model_dump(mode="json"))}

    async def current(self, session: AsyncSession, name: str, managed: Managed | None) -> dict[str, Any] | None:
        if managed is None or managed.ref is None:
            return None
        row = await session.get(models.NotificationSubscription, int(managed.ref))
        return None if row is None or row.deleted_at is not None else {"digest": managed.digest}

    async def apply(self, doc: Document, principal: Principal, managed: Managed | None) -> str | None:
        spec = SubscriptionIn.model_validate(doc.spec)
        check_subscription(spec)  # problems() found none: this only normalises
        if managed is not None and managed.ref is not None:
            await self._remove(int(managed.ref), principal)
        created = await self.notifications.create(spec, actor=principal.name)
        return str(created.id)

    async def _remove(self, subscription: int, principal: Principal) -> None:
        with contextlib.suppress(NotFound):  # removed by hand meanwhile: nothing to replace
            await self.notifications.delete(subscription, actor=principal.name)

    async def delete(self, managed: Managed, principal: Principal) -> None:
        if managed.ref is not None:
            await self._remove(int(managed.ref), principal)


def strategy_change_needs_admin(desired: Mapping[str, Any], current: Mapping[str, Any] | None) -> bool:
    """Whether an application document changes or removes the strategy the application has."""
    return (
        current is not None and current.get("strategy") is not None and desired.get("strategy") != current["strategy"]
    )


def invalid(problems: list[str]) -> Invalid:
    return Invalid("sync refused, nothing changed: " + "; ".join(problems), problems)


def validated(kinds: Mapping[str, KindSync], doc: Document) -> list[str]:
    sync = kinds.get(doc.kind)
    if sync is None:
        return [f"{doc.label}: this hub cannot sync {doc.kind} documents yet"]
    try:
        problems = sync.problems(doc)
        if not problems:
            sync.desired(doc)  # what the plan computes next must not fail on anything a client sends
    except (ValidationError, ValueError, TypeError, AttributeError, KeyError) as error:
        return [f"{doc.label}: cannot be read: {error}"]
    return problems
