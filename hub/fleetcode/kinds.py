"""Each kind sync can manage: the role it needs (as its router demands), its checks, its normal form
(the document's and the hub's, compared by the plan), and how it is applied and deleted (through the
services the routers call)."""

from __future__ import annotations

import contextlib
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
from hub.fleetcode.documents import APPLICATION, POLICY, STRATEGY, SUBSCRIPTION, TEMPLATE, Document
from hub.fleetcode.plan import Managed
from hub.fleetcode.templatedocs import template_body
from hub.manifests import ManifestError, parse_manifests
from hub.notifications.service import NotificationService
from hub.notifications.spec import SubscriptionIn, check_subscription
from hub.overrides.spec import as_stored, parse_overrides
from hub.policies.service import PolicyService, checked
from hub.policies.spec import enabled_split
from hub.rollouts.service import StrategyService
from hub.rollouts.spec import StrategySpec
from hub.selectors import parse_selector
from hub.services.application_body import ApplicationPut, put_application
from hub.services.applications import ApplicationService, source_of
from hub.sources.change import document_change, next_source
from hub.sources.origin import Origin
from hub.sources.spec import MANIFESTS, Source, SourceError, SourceKind
from hub.sources.spec import loaded as loaded_source
from hub.store import models
from hub.templates import store as templates_store
from hub.templates.service import TemplateService
from hub.templates.spec import TemplateError, parse_template
from schemas.v1.desired import json_digest


class KindSync(Protocol):
    kind: str
    role: Role

    def problems(self, doc: Document) -> list[str]:
        """What is wrong with the document's spec, checked before anything changes."""

    def desired(self, doc: Document) -> dict[str, Any]:
        """The document in the normal form `current` gives (only called when `problems` found none)."""

    async def current(self, session: AsyncSession, name: str, managed: Managed | None) -> dict[str, Any] | None:
        """The hub's object in normal form; None when it does not exist."""

    async def apply(self, doc: Document, principal: Principal, managed: Managed | None, origin: Origin) -> str | None:
        """Create or update the object as `principal`, recording `origin` (its file included) where the kind
        keeps it; the hub's id of it when that is not its name."""

    async def delete(self, managed: Managed, principal: Principal, origin: Origin) -> None: ...


def _source_form(source: Source, **extra: Any) -> dict[str, Any]:
    """A chart or template source in the form the plan compares (the stored one, revision aside), each part
    its own field so a plan says which changed."""
    form: dict[str, Any] = {
        "source": str(source.kind),
        "values": dict(source.values),
        "cluster_values": [c.stored() for c in source.cluster_values],
        "namespace": source.namespace,
        **extra,
    }
    if source.kind is SourceKind.CHART:
        form["chart"] = source.chart
    else:
        form["template"] = source.template
    return form


class ApplicationSync:
    kind = APPLICATION
    role = Role.DEPLOYER

    def __init__(self, applications: ApplicationService) -> None:
        self.applications = applications

    def problems(self, doc: Document) -> list[str]:
        # Not the whole fleet: what it refers to may live on the hub already (the services check that).
        found = [p.message for p in application_problems(doc, defaultdict(set), whole_fleet=False)]
        given = [k for k in ("manifests", "chart", "template") if k in doc.spec]
        if len(given) != 1:
            found.append(f"{doc.label}: give exactly one of manifests, chart or template")
            return found
        try:
            change = document_change(doc.spec)
            next_source(MANIFESTS, "manifests" in doc.spec, change)
        except SourceError as error:
            found.append(f"{doc.label}: {error}")
        if "manifests" in doc.spec:
            manifests = doc.spec["manifests"]
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
        if "manifests" in spec:
            source: dict[str, Any] = {"source": "manifests", "manifests": parse_manifests(spec["manifests"])}
        else:
            made = next_source(MANIFESTS, False, document_change(spec))
            # A template source is unchanged only while it is at the template's newest revision.
            source = _source_form(made, newest=True) if made.kind is SourceKind.TEMPLATE else _source_form(made)
        return {
            "selector": str(parse_selector(spec.get("selector"))),
            **source,
            "strategy": spec.get("strategy"),
            "image_overrides": as_stored(parse_overrides(spec.get("imageOverrides") or {})),
            "drift": stored(parse_policy(spec.get("drift") or {})),
            "auto_update": [p.stored() for p in parse_policies(spec.get("autoUpdate") or [])],
            "depends_on": list(spec.get("dependsOn") or []),
        }

    async def current(self, session: AsyncSession, name: str, managed: Managed | None) -> dict[str, Any] | None:
        app = await session.get(models.Application, name)
        if app is None or app.deleted_at is not None:
            return None
        release = await session.get(models.Release, (app.id, app.revision))
        assert release is not None
        made = loaded_source(app.source)
        if made.kind is SourceKind.MANIFESTS:
            source: dict[str, Any] = {"source": "manifests", "manifests": source_of(release)}
        elif made.kind is SourceKind.TEMPLATE:
            newest = await templates_store.latest(session, made.template or "")
            at_newest = newest is not None and newest.deleted_at is None and newest.revision == made.template_revision
            source = _source_form(made, newest=at_newest)
        else:
            source = _source_form(made)
        return {
            "selector": app.selector,
            **source,
            "strategy": app.strategy,
            "image_overrides": dict(app.image_overrides or {}),
            "drift": app.drift,
            "auto_update": list(app.auto_update or []),
            "depends_on": list(app.depends_on or []),
        }

    async def apply(self, doc: Document, principal: Principal, managed: Managed | None, origin: Origin) -> str | None:
        spec = doc.spec
        # A chart or template's values are always given, so a document without them clears what an
        # earlier sync set (None: kept, which plain manifests need).
        sourced = "manifests" not in spec
        body = ApplicationPut(
            manifests=spec.get("manifests"),
            chart=spec.get("chart"),
            template=spec.get("template"),
            values=(spec.get("values") or {}) if sourced else None,
            cluster_values=(spec.get("clusterValues") or []) if sourced else None,
            namespace=spec.get("namespace"),
            selector=spec.get("selector") or "",
            strategy=spec.get("strategy"),
            image_overrides=spec.get("imageOverrides") or {},
            auto_update=spec.get("autoUpdate") or [],
            drift=spec.get("drift") or {},
            depends_on=list(spec.get("dependsOn") or []),
        )
        await put_application(self.applications, principal, doc.name, body, origin)
        return None

    async def delete(self, managed: Managed, principal: Principal, origin: Origin) -> None:
        await self.applications.delete(managed.name, actor=principal.name)


class TemplateSync:
    kind = TEMPLATE
    role = Role.PLATFORM

    def __init__(self, templates: TemplateService) -> None:
        self.templates = templates

    def problems(self, doc: Document) -> list[str]:
        try:
            parse_template(doc.name, template_body(doc))
        except TemplateError as error:
            return [f"{doc.label}: {p}" for p in error.problems]
        except ValidationError as error:
            return [f"{doc.label}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        return []

    def desired(self, doc: Document) -> dict[str, Any]:
        return {"digest": parse_template(doc.name, template_body(doc)).digest()}

    async def current(self, session: AsyncSession, name: str, managed: Managed | None) -> dict[str, Any] | None:
        row = await templates_store.latest(session, name)
        return None if row is None or row.deleted_at is not None else {"digest": row.digest}

    async def apply(self, doc: Document, principal: Principal, managed: Managed | None, origin: Origin) -> str | None:
        await self.templates.put(doc.name, template_body(doc, origin), actor=principal.name)
        return None

    async def delete(self, managed: Managed, principal: Principal, origin: Origin) -> None:
        await self.templates.delete(managed.name, actor=principal.name, origin=origin)


class PolicySync:
    kind = POLICY
    role = Role.PLATFORM

    def __init__(self, policies: PolicyService) -> None:
        self.policies = policies

    def problems(self, doc: Document) -> list[str]:
        spec, _ = enabled_split(doc.spec)
        try:
            checked(doc.name, spec)
        except Invalid as error:
            return [f"{doc.label}: {p}" for p in error.errors]
        return []

    def desired(self, doc: Document) -> dict[str, Any]:
        spec, enabled = enabled_split(doc.spec)
        return {"spec": checked(doc.name, spec).spec.dump(), "enabled": enabled}

    async def current(self, session: AsyncSession, name: str, managed: Managed | None) -> dict[str, Any] | None:
        row = await session.get(models.Policy, name)
        return None if row is None else {"spec": row.spec, "enabled": row.enabled}

    async def apply(self, doc: Document, principal: Principal, managed: Managed | None, origin: Origin) -> str | None:
        spec, enabled = enabled_split(doc.spec)
        await self.policies.put(doc.name, spec, actor=principal.name, enabled=enabled, origin=origin)
        return None

    async def delete(self, managed: Managed, principal: Principal, origin: Origin) -> None:
        await self.policies.delete(managed.name, actor=principal.name, origin=origin)


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

    async def apply(self, doc: Document, principal: Principal, managed: Managed | None, origin: Origin) -> str | None:
        await self.strategies.put(doc.name, StrategySpec.model_validate(doc.spec).dump(), actor=principal.name)
        return None

    async def delete(self, managed: Managed, principal: Principal, origin: Origin) -> None:
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
        return {"digest": json_digest(SubscriptionIn.model_validate(doc.spec).model_dump(mode="json"))}

    async def current(self, session: AsyncSession, name: str, managed: Managed | None) -> dict[str, Any] | None:
        if managed is None or managed.ref is None:
            return None
        row = await session.get(models.NotificationSubscription, int(managed.ref))
        return None if row is None or row.deleted_at is not None else {"digest": managed.digest}

    async def apply(self, doc: Document, principal: Principal, managed: Managed | None, origin: Origin) -> str | None:
        spec = SubscriptionIn.model_validate(doc.spec)
        check_subscription(spec)  # problems() found none: this only normalises
        if managed is not None and managed.ref is not None:
            await self._remove(int(managed.ref), principal)
        created = await self.notifications.create(spec, actor=principal.name)
        return str(created.id)

    async def _remove(self, subscription: int, principal: Principal) -> None:
        with contextlib.suppress(NotFound):  # removed by hand meanwhile: nothing to replace
            await self.notifications.delete(subscription, actor=principal.name)

    async def delete(self, managed: Managed, principal: Principal, origin: Origin) -> None:
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
