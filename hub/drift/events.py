"""The audit events (and so notification events) drift makes: `drift.detected` when an object starts to
drift, `drift.corrected` when the spoke re-applied objects to correct it. Pure: what to record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hub.drift.index import Corrected, Detected, Transition

DRIFT_DETECTED = "drift.detected"
DRIFT_CORRECTED = "drift.corrected"
# Who records them: the hub, on the hub's clock, as it stores the report that says so.
ACTOR = "system:drift"


@dataclass(frozen=True)
class AuditEntry:
    action: str
    reason: str
    details: dict[str, Any]


def _object(transition: Transition) -> dict[str, Any]:
    key = transition.row.object
    return {
        "object": str(key),
        "api_version": key.api_version,
        "kind": key.kind,
        "namespace": key.namespace,
        "name": key.name,
    }


def audit_entries(happened: Sequence[Transition]) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for transition in happened:
        row = transition.row
        if isinstance(transition, Detected):
            what = "deleted" if row.drift == "deleted" else f"changed {', '.join(row.fields) or 'fields'}"
            by = f" by {', '.join(row.managers)}" if row.managers else ""
            entries.append(
                AuditEntry(
                    DRIFT_DETECTED,
                    f"{row.object}: {what}{by}",
                    {
                        **_object(transition),
                        "drift": row.drift,
                        "fields": list(row.fields),
                        "managers": list(row.managers),
                        "since": row.since.isoformat() if row.since else None,
                        "mode": row.mode,
                    },
                )
            )
        elif isinstance(transition, Corrected):
            last = row.last_correction or {}
            fields = last.get("fields") if isinstance(last.get("fields"), list) else []
            what = f" ({', '.join(map(str, fields))})" if fields else ""
            entries.append(
                AuditEntry(
                    DRIFT_CORRECTED,
                    f"{row.object}: re-applied {transition.added} time(s){what}",
                    {
                        **_object(transition),
                        "corrections": row.corrections,
                        "added": transition.added,
                        "last_correction": row.last_correction,
                        "mode": row.mode,
                    },
                )
            )
    return entries
