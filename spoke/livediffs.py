"""Pure: the field diff of a live object against the API server's dry-run result of applying the bundle's
version of it, as a unified diff of YAML, the way `kubectl diff` shows it.

Fields the server changes on every write, or that only the cluster's controllers set, are left out
(managedFields, resourceVersion, generation, uid, creationTimestamp, status). The rest is the contract's
object diff (schemas/v1/objectdiffs.py), the one the hub uses too: kubectl's last-applied-configuration
annotation dropped, and Secret values never leaving the cluster (each key shows only a marker saying
whether its value would change).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.v1.objectdiffs import CHANGED, REDACTED, UNCHANGED, field_diff, without_noise

__all__ = ["CHANGED", "REDACTED", "UNCHANGED", "comparable", "live_diff"]

IGNORED_METADATA = frozenset({"managedFields", "resourceVersion", "generation", "uid", "creationTimestamp"})


def comparable(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The object without what every write or a controller changes, nor kubectl's copy of itself."""
    result = {k: v for k, v in without_noise(obj).items() if k != "status"}
    metadata = result.get("metadata")
    if isinstance(metadata, Mapping):
        result["metadata"] = {k: v for k, v in metadata.items() if k not in IGNORED_METADATA}
    return result


def live_diff(live: Mapping[str, Any] | None, after: Mapping[str, Any] | None, label: str) -> str:
    """Unified diff from the live object (None: does not exist) to what it would be (None: deleted);
    "" when a server-side apply would change nothing we show."""
    return field_diff(
        comparable(live) if live is not None else None,
        comparable(after) if after is not None else None,
        old_label=f"live/{label}",
        new_label=f"dry-run/{label}",
    )
