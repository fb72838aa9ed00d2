"""One application, desired against live: plan, apply, record, prune, record.

Crash-safe order (invariant 3): the inventory always covers everything this application may have
applied. Before applying anything new it records union(old, new) — so a spoke killed mid-apply still
knows what it may have created — then applies, prunes what left the desired set, and finally records
the new set. A crash at any point leaves an inventory that is a superset of what is live and ours.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from schemas.v1 import Bundle, ObjectRef, Removal
from spoke.applier import Applier
from spoke.desired import Desired
from spoke.errors import ErrorClass
from spoke.inventory import Inventory, InventoryStore, merge_refs
from spoke.kube import Kube
from spoke.objects import ObjectKey, key_of_ref
from spoke.planner import decide, intend
from spoke.reports import ObjectOutcome

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    application: str
    desired: Desired
    objects: list[ObjectOutcome] = field(default_factory=list)
    live: dict[ObjectRef, dict[str, Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every object applied (or pruned) as desired."""
        return not any(o.action == "failed" for o in self.objects)

    @property
    def requeue(self) -> bool:
        """Worth trying again soon: something was not ready yet, or retries ran out. Terminal
        failures wait for a new desired state or the periodic resync."""
        return any(o.action == "failed" and o.error_class is not ErrorClass.TERMINAL for o in self.objects)


class Reconciler:
    def __init__(self, kube: Kube, applier: Applier, inventories: InventoryStore) -> None:
        self.kube = kube
        self.applier = applier
        self.inventories = inventories

    async def reconcile(self, desired: Desired) -> Outcome:
        inventory = await self.inventories.read(desired.application)
        if isinstance(desired, Bundle):
            for manifest in desired.manifests:
                await self.kube.learn_scope(str(manifest.get("apiVersion")), str(manifest.get("kind")))
        intent = intend(desired, inventory, self.kube.known_scope)
        live: dict[ObjectKey, dict[str, Any] | None] = {
            key_of_ref(r): await self.kube.get(r) for r in intent.prune_candidates
        }
        the_plan = decide(intent, live)
        for ref, why in the_plan.left_alone:
            log.info("%s: not pruning %s: %s", desired.application, ref, why)

        outcome = Outcome(desired.application, desired)
        old = inventory.objects if inventory else ()
        union = merge_refs(old, the_plan.desired_refs)
        if {key_of_ref(r) for r in union} != {key_of_ref(r) for r in old}:
            await self.inventories.write(_record(desired.application, union, inventory))

        for applied in await self.applier.apply_all(the_plan.apply):
            outcome.objects.append(applied.outcome)
            if applied.live is not None:
                outcome.live[applied.outcome.ref] = applied.live
        pruned = [await self.applier.prune(ref) for ref in the_plan.prune]
        outcome.objects.extend(pruned)
        outcome.errors = [f"{o.ref}: {o.error}" for o in outcome.objects if o.action == "failed"]

        # Prunes that failed stay recorded, so they are tried again rather than forgotten.
        kept = merge_refs(the_plan.desired_refs, [o.ref for o in pruned if o.action == "failed"])
        if isinstance(desired, Removal) and not kept:
            if inventory is not None:
                await self.inventories.delete(desired.application)
        else:
            final = Inventory(desired.application, kept, desired.revision, desired.generation, _digest(desired))
            if final != inventory:
                await self.inventories.write(final)
        return outcome


def _digest(desired: Desired) -> str | None:
    return desired.digest if isinstance(desired, Bundle) else None


def _record(application: str, objects: tuple[ObjectRef, ...], previous: Inventory | None) -> Inventory:
    # The intent record keeps the last completed revision: it is not completed yet.
    if previous is None:
        return Inventory(application, objects)
    return Inventory(application, objects, previous.revision, previous.generation, previous.digest)
