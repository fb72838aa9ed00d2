"""The drift index rows a status report stands for, and what changed between two reports of the same
(cluster, application): objects that started to drift, and corrections the spoke made. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.v1.reports import ObjectStatus, StatusReport

# The most rows one (cluster, application) keeps: a report's objects are bounded by its bundle, but
# an index row is read by fleet-wide queries, so a pathological report does not flood it.
MAX_ROWS = 1000


@dataclass(frozen=True)
class ObjectKey:
    api_version: str
    kind: str
    namespace: str | None
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{where}{self.name}"


@dataclass(frozen=True)
class DriftRow:
    """One object drifted now (`drift` set) or corrected before (`corrections` > 0)."""

    object: ObjectKey
    drift: str | None  # modified | deleted
    fields: tuple[str, ...]
    managers: tuple[str, ...]
    since: datetime | None
    mode: str | None
    corrections: int
    last_correction: dict[str, Any] | None

    def values(self, cluster: str, application: str, position: int) -> dict[str, Any]:
        """The columns of its models.DriftIndexEntry."""
        return {
            "cluster_id": cluster,
            "application_id": application,
            "position": position,
            "api_version": self.object.api_version,
            "kind": self.object.kind,
            "namespace": self.object.namespace,
            "name": self.object.name,
            "drift": self.drift,
            "fields": list(self.fields),
            "managers": list(self.managers),
            "since": self.since,
            "mode": self.mode,
            "corrections": self.corrections,
            "last_correction": self.last_correction,
        }


def _row(status: ObjectStatus, mode: str | None) -> DriftRow | None:
    if status.drift is None and status.corrections == 0:
        return None
    ref = status.ref
    drift = status.drift
    return DriftRow(
        object=ObjectKey(ref.api_version, ref.kind, ref.namespace, ref.name),
        drift=drift.kind if drift is not None else None,
        fields=tuple(drift.fields) if drift is not None else (),
        managers=tuple(drift.managers) if drift is not None else (),
        since=drift.detected_at if drift is not None else None,
        mode=mode,
        corrections=status.corrections,
        last_correction=status.last_correction.model_dump(mode="json") if status.last_correction else None,
    )


def drift_rows(report: StatusReport) -> list[DriftRow]:
    """The rows a stored report stands for: none once the application is removed."""
    if report.removed:
        return []
    rows = [row for row in (_row(o, report.drift_mode) for o in report.objects) if row is not None]
    return rows[:MAX_ROWS]


def drifting_count(objects: Sequence[dict[str, Any]]) -> int:
    """How many of a stored status's objects (ObjectStatus as JSON) drift now."""
    return sum(1 for o in objects if isinstance(o, dict) and o.get("drift"))


@dataclass(frozen=True)
class Detected:
    """An object started to drift (or drifts anew: another episode, detected at another time)."""

    row: DriftRow


@dataclass(frozen=True)
class Corrected:
    """The spoke re-applied an object `added` more times since the previous report."""

    row: DriftRow
    added: int


Transition = Detected | Corrected


def transitions(before: Sequence[DriftRow], after: Sequence[DriftRow]) -> list[Transition]:
    """What happened between the stored rows and the new ones, in the new rows' order. Unchanged rows
    (a report re-sent, health changing) say nothing: an event is recorded once per happening."""
    previous = {row.object: row for row in before}
    happened: list[Transition] = []
    for row in after:
        old = previous.get(row.object)
        if row.drift is not None and (old is None or old.drift is None or old.since != row.since):
            happened.append(Detected(row))
        old_corrections = old.corrections if old is not None else 0
        if row.corrections < old_corrections:
            # Counted anew (the spoke applied the object again, or restarted): all of them are new.
            old_corrections = 0
        if row.corrections > old_corrections:
            happened.append(Corrected(row, row.corrections - old_corrections))
    return happened
