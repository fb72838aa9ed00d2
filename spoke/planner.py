"""The pure heart of the spoke: what to apply and what to prune, given desired, live and inventory.

Nothing here does I/O, and nothing is derived twice: `intend` prepares the desired objects (labelled,
namespace resolved, in apply order) and derives the prune candidates once; the caller fetches the live
state of those candidates only; `decide` turns intent and live state into the plan. (`plan` is both
steps at once, for callers that have everything already.) The inventory comes in as anything with
`objects` (spoke/inventory.py `Inventory`): the planner does not import the inventory's Kubernetes I/O.

Prune rule (invariant 3): an object is pruned only if it is recorded in this application's inventory,
has left the desired set (a new release without it, or a removal), still exists, and still carries this
application's label. Something merely missing, or a restarted spoke, never causes a deletion.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from schemas.v1 import Bundle, ObjectRef, Removal
from spoke.kinds import apply_order, prune_order
from spoke.objects import (
    APPLICATION_LABEL,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    Manifest,
    ObjectKey,
    group_of,
    key_of,
    key_of_ref,
    owned_by,
    ref_of,
)

# (api_version, kind) -> namespaced? None when the API server does not know the kind (yet).
Scopes = Callable[[str, str], bool | None]


class Recorded(Protocol):
    """What an application's inventory recorded (spoke/inventory.py `Inventory`)."""

    @property
    def objects(self) -> tuple[ObjectRef, ...]: ...


@dataclass(frozen=True)
class Intent:
    """The desired state prepared once: what to apply, and which recorded objects may have to go."""

    desired: Bundle | Removal
    apply: tuple[Manifest, ...]  # prepared (labelled, namespace resolved), in apply order
    prune_candidates: tuple[ObjectRef, ...]  # recorded, and left the desired set


@dataclass(frozen=True)
class Plan:
    application: str
    apply: tuple[Manifest, ...]  # prepared (labelled, namespace resolved), in apply order
    prune: tuple[ObjectRef, ...]  # in prune order: reverse of apply order
    left_alone: tuple[tuple[ObjectRef, str], ...]  # inventory objects not pruned after all, and why

    @property
    def desired_refs(self) -> tuple[ObjectRef, ...]:
        return tuple(ref_of(manifest) for manifest in self.apply)


def crd_scopes(manifests: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], bool]:
    """Scopes of the custom kinds a bundle defines itself, known before their CRDs are even applied."""
    scopes: dict[tuple[str, str], bool] = {}
    for manifest in manifests:
        if manifest.get("kind") != "CustomResourceDefinition":
            continue
        spec = manifest.get("spec") or {}
        kind = (spec.get("names") or {}).get("kind")
        if spec.get("group") and kind:
            scopes[(spec["group"], kind)] = spec.get("scope", "Namespaced") == "Namespaced"
    return scopes


def with_bundle_scopes(scopes: Scopes, manifests: Iterable[Mapping[str, Any]]) -> Scopes:
    defined = crd_scopes(manifests)

    def lookup(api_version: str, kind: str) -> bool | None:
        known = scopes(api_version, kind)
        return known if known is not None else defined.get((group_of(api_version), kind))

    return lookup


def prepare(manifest: Mapping[str, Any], application: str, namespaced: bool | None) -> Manifest:
    """The object as the spoke applies it: marked as ours, namespaced objects defaulted to "default"."""
    prepared: Manifest = copy.deepcopy(dict(manifest))
    metadata = prepared.setdefault("metadata", {})
    metadata["labels"] = {
        **(metadata.get("labels") or {}),
        MANAGED_BY_LABEL: MANAGED_BY,
        APPLICATION_LABEL: application,
    }
    if namespaced is True and not metadata.get("namespace"):
        metadata["namespace"] = "default"
    elif namespaced is False:
        # The API server ignores it on cluster-scoped objects; dropping it keeps identities comparable.
        metadata.pop("namespace", None)
    return prepared


def _prepared(desired: Bundle | Removal, scopes: Scopes) -> list[Manifest]:
    if isinstance(desired, Removal):
        return []
    lookup = with_bundle_scopes(scopes, desired.manifests)
    by_key: dict[ObjectKey, Manifest] = {}
    for manifest in desired.manifests:
        prepared = prepare(
            manifest, desired.application, lookup(str(manifest.get("apiVersion")), str(manifest.get("kind")))
        )
        by_key[key_of(prepared)] = prepared  # a repeated object: the last one wins
    return apply_order(
        by_key.values(), lambda m: str(m["kind"]), lambda m: f"{ref_of(m).namespace or ''}/{ref_of(m).name}"
    )


def _still_desired(key: ObjectKey, desired: set[ObjectKey], unresolved: set[tuple[str, str, str]]) -> bool:
    # An object whose kind's scope is not known yet may live in any namespace: never prune on a guess.
    return key in desired or (key.group, key.kind, key.name) in unresolved


def _unresolved(manifests: Iterable[Manifest], lookup: Scopes) -> set[tuple[str, str, str]]:
    return {
        (key.group, key.kind, key.name)
        for manifest in manifests
        if lookup(str(manifest.get("apiVersion")), str(manifest.get("kind"))) is None
        and not (key := key_of(manifest)).namespace
    }


def intend(desired: Bundle | Removal, inventory: Recorded | None, scopes: Scopes) -> Intent:
    manifests = _prepared(desired, scopes)
    if inventory is None:
        return Intent(desired, tuple(manifests), ())
    keys = {key_of(manifest) for manifest in manifests}
    lookup = scopes if isinstance(desired, Removal) else with_bundle_scopes(scopes, desired.manifests)
    unresolved = _unresolved(manifests, lookup)
    candidates = tuple(ref for ref in inventory.objects if not _still_desired(key_of_ref(ref), keys, unresolved))
    return Intent(desired, tuple(manifests), candidates)


def prune_candidates(desired: Bundle | Removal, inventory: Recorded | None, scopes: Scopes) -> list[ObjectRef]:
    """Inventory objects that left the desired set: the only ones whose live state the plan needs."""
    return list(intend(desired, inventory, scopes).prune_candidates)


def plan(
    desired: Bundle | Removal,
    live: Mapping[ObjectKey, Mapping[str, Any] | None],
    inventory: Recorded | None,
    *,
    scopes: Scopes,
) -> Plan:
    """`intend` and `decide` at once. `live` holds the prune candidates as they are now (None or absent: gone)."""
    return decide(intend(desired, inventory, scopes), live)


def decide(intent: Intent, live: Mapping[ObjectKey, Mapping[str, Any] | None]) -> Plan:
    """`live` holds the prune candidates as they are now (None or absent: gone)."""
    desired = intent.desired
    prune: list[ObjectRef] = []
    left_alone: list[tuple[ObjectRef, str]] = []
    for ref in intent.prune_candidates:
        obj = live.get(key_of_ref(ref))
        if obj is None:
            continue  # already gone: nothing to do, and it leaves the inventory
        if not owned_by(obj, desired.application):
            left_alone.append((ref, f"no longer labelled {APPLICATION_LABEL}={desired.application}"))
            continue
        prune.append(ref)
    return Plan(
        application=desired.application,
        apply=intent.apply,
        prune=tuple(prune_order(prune, lambda r: r.kind, lambda r: f"{r.namespace or ''}/{r.name}")),
        left_alone=tuple(left_alone),
    )
