"""What each application applied, recorded in the cluster itself (invariant 3).

One ConfigMap per application in the inventory namespace. It survives a spoke restart, so a restarted
spoke knows exactly what it may prune and prunes nothing it was not told to. The codec here is pure;
`InventoryStore` is the thin I/O around it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from schemas.v1 import ObjectRef
from spoke.kinds import apply_order
from spoke.kube import Kube
from spoke.objects import APPLICATION_LABEL, FIELD_MANAGER, ObjectKey, key_of_ref

INVENTORY_LABEL = "fleetcast.io/inventory"
_PREFIX = "fleetcast-inv-"


@dataclass(frozen=True)
class Inventory:
    application: str
    objects: tuple[ObjectRef, ...]
    revision: int = 0
    generation: int = 0
    digest: str | None = None

    def keys(self) -> set[ObjectKey]:
        return {key_of_ref(ref) for ref in self.objects}


def inventory_name(application: str) -> str:
    return f"{_PREFIX}{application}"


def merge_refs(*groups: Iterable[ObjectRef]) -> tuple[ObjectRef, ...]:
    """Union by object identity (a later group's API version wins), in apply order."""
    merged: dict[ObjectKey, ObjectRef] = {}
    for group in groups:
        for ref in group:
            merged[key_of_ref(ref)] = ref
    return tuple(apply_order(merged.values(), lambda r: r.kind, lambda r: f"{r.namespace or ''}/{r.name}"))


def to_configmap(inventory: Inventory, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": inventory_name(inventory.application),
            "namespace": namespace,
            # Not the managed-by label: the inventory is the spoke's bookkeeping, not an applied object,
            # and must never be pruned or watched as one.
            "labels": {INVENTORY_LABEL: inventory.application, "app.kubernetes.io/part-of": FIELD_MANAGER},
        },
        "data": {
            "application": inventory.application,
            "objects": json.dumps([ref.model_dump(mode="json") for ref in inventory.objects], sort_keys=True),
            "revision": str(inventory.revision),
            "generation": str(inventory.generation),
            "digest": inventory.digest or "",
        },
    }


def from_configmap(configmap: Mapping[str, Any]) -> Inventory:
    data = configmap.get("data") or {}
    labels = (configmap.get("metadata") or {}).get("labels") or {}
    application = data.get("application") or labels.get(INVENTORY_LABEL) or labels.get(APPLICATION_LABEL) or ""
    objects = tuple(ObjectRef.model_validate(item) for item in json.loads(data.get("objects") or "[]"))
    return Inventory(
        application=application,
        objects=objects,
        revision=int(data.get("revision") or 0),
        generation=int(data.get("generation") or 0),
        digest=data.get("digest") or None,
    )


class InventoryStore:
    """Reads and writes inventories in the cluster (the I/O half of this module)."""

    def __init__(self, kube: Kube, namespace: str) -> None:
        self.kube = kube
        self.namespace = namespace
        self._namespace_ready = False

    def _ref(self, application: str) -> ObjectRef:
        return ObjectRef(api_version="v1", kind="ConfigMap", name=inventory_name(application), namespace=self.namespace)

    async def read(self, application: str) -> Inventory | None:
        configmap = await self.kube.get(self._ref(application))
        return from_configmap(configmap) if configmap is not None else None

    async def write(self, inventory: Inventory) -> None:
        if not self._namespace_ready:
            await self.kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}})
            self._namespace_ready = True
        await self.kube.apply(to_configmap(inventory, self.namespace))

    async def delete(self, application: str) -> None:
        await self.kube.delete(self._ref(application))
