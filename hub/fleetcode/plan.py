"""What a sync does, decided without I/O: for each document create, update or unchanged (comparing the
document's state with the hub's, both in the same normal form), and for each object this source
manages that the documents no longer hold, delete (with prune) or a skipped delete.

"unchanged" is exact: the normal forms are what the hub stores (a normalised selector, the parsed
manifests, a strategy's digest, ...), so a second sync of the same directory changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from hub.fleetcode.documents import APPLY_ORDER, Document


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DELETE = "delete"


@dataclass(frozen=True)
class Step:
    kind: str
    name: str
    action: Action
    detail: str = ""
    # A delete not done: the sync was not asked to prune.
    skipped: bool = False
    file: str | None = None
    # False for a managed object already deleted from the hub (by hand): only its record goes.
    exists: bool = True

    @property
    def changes(self) -> bool:
        return self.action in (Action.CREATE, Action.UPDATE) or (self.action == Action.DELETE and not self.skipped)


@dataclass(frozen=True)
class Source:
    """What a sync manages: a directory of a repository."""

    repository: str
    path: str


@dataclass(frozen=True)
class Managed:
    kind: str
    name: str
    source: Source
    ref: str | None = None  # the hub's id when not the name
    digest: str | None = None


Key = tuple[str, str]  # (kind, name)


def differences(desired: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """The fields whose values differ, by name."""
    return sorted(k for k in {*desired, *current} if desired.get(k) != current.get(k))


@dataclass(frozen=True)
class Plan:
    steps: list[Step]
    # Documents naming objects another source manages: the sync refuses them (nothing is taken over).
    conflicts: list[str]

    def counts(self) -> dict[str, int]:
        counts = {str(a): 0 for a in Action} | {"skipped": 0}
        for step in self.steps:
            counts["skipped" if step.skipped else str(step.action)] += 1
        return counts


def _order(kind: str) -> int:
    return APPLY_ORDER.index(kind) if kind in APPLY_ORDER else len(APPLY_ORDER)


def plan_sync(
    documents: Sequence[Document],
    desired: Mapping[Key, Mapping[str, Any]],
    current: Mapping[Key, Mapping[str, Any]],
    managed: Mapping[Key, Managed],
    source: Source,
    *,
    prune: bool,
) -> Plan:
    """`desired`: each document's normal form; `current`: the hub's, for the objects that exist;
    `managed`: which source manages what. Steps in the order they are applied: documents by kind
    (templates, policies, strategies, subscriptions, applications), then deletions the other way round."""
    steps: list[Step] = []
    conflicts: list[str] = []
    wanted: set[Key] = set()
    for doc in sorted(documents, key=lambda d: (_order(d.kind), d.name)):
        key = (doc.kind, doc.name)
        wanted.add(key)
        owner = managed.get(key)
        if owner is not None and owner.source != source:
            conflicts.append(
                f"{doc.kind} {doc.name} is managed by {owner.source.repository} (path {owner.source.path}): "
                "remove it there first"
            )
            continue
        now = current.get(key)
        if now is None:
            steps.append(Step(doc.kind, doc.name, Action.CREATE, file=doc.file))
            continue
        changed = differences(desired[key], now)
        if changed:
            steps.append(Step(doc.kind, doc.name, Action.UPDATE, "changed: " + ", ".join(changed), file=doc.file))
        else:
            adopted = "" if owner is not None else "now managed by this source"
            steps.append(Step(doc.kind, doc.name, Action.UNCHANGED, adopted, file=doc.file))
    steps = _following_templates(steps, documents)
    gone = sorted(
        (m for key, m in managed.items() if m.source == source and key not in wanted),
        key=lambda m: (-_order(m.kind), m.name),
    )
    for m in gone:
        if (m.kind, m.name) not in current:
            steps.append(Step(m.kind, m.name, Action.DELETE, "already gone from the hub", exists=False))
        elif prune:
            steps.append(Step(m.kind, m.name, Action.DELETE, "removed from the source"))
        else:
            steps.append(Step(m.kind, m.name, Action.DELETE, "skipped: pass --prune", skipped=True))
    return Plan(steps, conflicts)


def _following_templates(steps: list[Step], documents: Sequence[Document]) -> list[Step]:
    """An application made from a template that this sync publishes anew moves to the new revision in
    the same sync (the hub pins applications at a template revision), so it is an update too."""
    republished = {s.name for s in steps if s.kind == "Template" and s.action in (Action.CREATE, Action.UPDATE)}
    if not republished:
        return steps
    template_of = {d.name: d.spec.get("template") for d in documents if d.kind == "Application"}
    return [
        replace(s, action=Action.UPDATE, detail=f"template {template_of[s.name]} is published anew")
        if s.kind == "Application" and s.action == Action.UNCHANGED and template_of.get(s.name) in republished
        else s
        for s in steps
    ]
