"""Has a live object drifted from what the spoke applied? Pure.

The method (managed fields, no extra API calls): the spoke applies with server-side apply as field
manager `fleetcast`. The apply's response records, in `metadata.managedFields`, exactly the fields we
own. Whoever changes one of them afterwards (kubectl edit/patch/scale/apply, a controller) takes it
over, so it leaves our entry. Drift is therefore "fields in our entry right after our apply that are no
longer in our entry now" and whose value is not what our apply left (a manager setting the same value,
or someone changing it back by hand, moves ownership but changes nothing); the managers now owning
them say who changed them. Fields we never set (defaults, status, annotations others add) are never
drift, by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.v1 import ObjectRef
from schemas.v1.drift import MAX_PATHS, DriftKind, FieldPath, IgnoreRule, ObjectDrift, covers, format_path
from spoke.drift.fieldsets import FieldSet, others, owned_by, value_at
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


def _unchanged(path: FieldPath, baseline: FieldSet, applied: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    """Ownership moved but the value did not: the field is as our apply left it (someone set the same
    value, or changed it back by hand). A node we owned (a list item, a map) only has to be there."""
    found, now = value_at(live, path)
    if not found:
        return False
    if any(len(other) > len(path) and other[: len(path)] == path for other in baseline):
        return True
    was_found, was = value_at(applied, path)
    return was_found and bool(was == now)


def drifted_fields(
    baseline: FieldSet,
    live: Mapping[str, Any],
    manager: str = FIELD_MANAGER,
    applied: Mapping[str, Any] | None = None,
) -> tuple[FieldPath, ...]:
    """Fields we owned after our apply and own no longer, sorted; with `applied` (our apply's answer),
    only those whose value differs from what it was then, or that are gone.

    Our entry missing entirely (managedFields were reset, or someone applied with our manager name
    under another operation) means we own nothing: every field we applied is a candidate."""
    ours = owned_by(live, manager) or frozenset()
    lost = baseline - ours
    if applied is not None:
        lost = frozenset(path for path in lost if not _unchanged(path, baseline, applied, live))
    return tuple(sorted(lost, key=format_path))


def managers_of(paths: Iterable[FieldPath], live: Mapping[str, Any], manager: str = FIELD_MANAGER) -> tuple[str, ...]:
    """The other managers owning any of `paths` now, sorted."""
    wanted = frozenset(paths)
    return tuple(sorted(name for name, owned in others(live, manager).items() if not owned.isdisjoint(wanted)))


def detect(
    baseline: FieldSet,
    event_type: str,
    live: Mapping[str, Any],
    ignored: Sequence[FieldPath] = (),
    manager: str = FIELD_MANAGER,
    applied: Mapping[str, Any] | None = None,
) -> Drift | None:
    """The drift of one object in one watch event (ADDED, MODIFIED, DELETED); None: it matches.
    `applied`: the object as our apply returned it, to tell a moved owner from a changed value."""
    if event_type == "DELETED":
        return DELETED
    fields = drifted_fields(baseline, live, manager, applied)
    kept = tuple(path for path in fields if not any(covers(rule, path) for rule in ignored))
    if not kept:
        return None
    return Drift("modified", kept, managers_of(kept, live, manager))


def detect_for(
    ref: ObjectRef,
    rules: Iterable[IgnoreRule],
    baseline: FieldSet,
    event_type: str,
    live: Mapping[str, Any],
    manager: str = FIELD_MANAGER,
    applied: Mapping[str, Any] | None = None,
) -> Drift | None:
    """`detect` with the ignore rules of an application's drift policy that match `ref`."""
    return detect(baseline, event_type, live, ignored_paths(rules, ref), manager, applied)
