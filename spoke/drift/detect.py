"""Has a live object drifted from what the spoke applied? Pure.

The method (managed fields, no extra API calls): the spoke applies with server-side apply as field
manager `fleetcast`. The apply's response records, in `metadata.managedFields`, exactly the fields we
own. Whoever changes one of them afterwards (kubectl edit/patch/scale/apply, a controller) takes it
over, so it leaves our entry. Drift is therefore "fields in our entry right after our apply that are no
longer in our entry now", and the managers now owning them say who changed them. Fields we never set
(defaults, status, annotations others add) are never drift, by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.v1 import ObjectRef
from schemas.v1.drift import MAX_PATHS, DriftKind, FieldPath, IgnoreRule, ObjectDrift, covers, format_path
from spoke.drift.fieldsets import FieldSet, others, owned_by
from spoke.drift.ignore import ignored_paths
from spoke.objects import FIELD_MANAGER

MAX_MANAGERS = 16


@dataclass(frozen=True)
class Drift:
    kind: DriftKind
    fields: tuple[FieldPath, ...] = ()
    managers: tuple[str, ...] = ()

    def report(self, detected_at: datetime) -> ObjectDrift:
        """As the wire carries it: paths in text, bounded."""
        return ObjectDrift(
            kind=self.kind,
            fields=[format_path(path) for path in self.fields[:MAX_PATHS]],
            managers=list(self.managers[:MAX_MANAGERS]),
            detected_at=detected_at,
        )


DELETED = Drift("deleted")


def version_of(obj: Mapping[str, Any] | None) -> int | None:
    """The object's resourceVersion as a number, None when it is not one.

    Kubernetes calls resourceVersions opaque; every API server backed by etcd hands out etcd revisions,
    which grow. We compare them only to skip a watch event older than our own apply (the watch can
    deliver it after the apply returned), and treat anything unparsable as new."""
    text = str(((obj or {}).get("metadata") or {}).get("resourceVersion") or "")
    return int(text) if text.isdigit() else None


def older(obj: Mapping[str, Any], than: int | None) -> bool:
    version = version_of(obj)
    return than is not None and version is not None and version < than


def drifted_fields(
    baseline: FieldSet, live: Mapping[str, Any], manager: str = FIELD_MANAGER
) -> tuple[tuple[FieldPath, ...], tuple[str, ...]]:
    """(fields we owned after our apply and own no longer, the managers owning them now), sorted.

    Our entry missing entirely (managedFields were reset, or someone applied with our manager name
    under another operation) means we own nothing: every field we applied has drifted."""
    ours = owned_by(live, manager) or frozenset()
    lost = baseline - ours
    if not lost:
        return (), ()
    owners = others(live, manager)
    managers = sorted(name for name, paths in owners.items() if not paths.isdisjoint(lost))
    return tuple(sorted(lost, key=format_path)), tuple(managers)


def detect(
    baseline: FieldSet,
    event_type: str,
    live: Mapping[str, Any],
    ignored: Sequence[FieldPath] = (),
    manager: str = FIELD_MANAGER,
) -> Drift | None:
    """The drift of one object in one watch event (ADDED, MODIFIED, DELETED); None: it matches."""
    if event_type == "DELETED":
        return DELETED
    fields, managers = drifted_fields(baseline, live, manager)
    kept = tuple(path for path in fields if not any(covers(rule, path) for rule in ignored))
    if not kept:
        return None
    if len(kept) < len(fields):
        # Only the managers of the fields still reported.
        owners = others(live, manager)
        managers = tuple(sorted(name for name, paths in owners.items() if not paths.isdisjoint(kept)))
    return Drift("modified", kept, managers)


def detect_for(
    ref: ObjectRef,
    rules: Iterable[IgnoreRule],
    baseline: FieldSet,
    event_type: str,
    live: Mapping[str, Any],
    manager: str = FIELD_MANAGER,
) -> Drift | None:
    """`detect` with the ignore rules of an application's drift policy that match `ref`."""
    return detect(baseline, event_type, live, ignored_paths(rules, ref), manager)
