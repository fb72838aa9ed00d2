"""Status reports, built from what the last reconcile did and what is live now. Pure.

A report is sent only when something other than its timestamp changed (`changed`).
Each object carries the live object's conditions, and, from the drift detector (`extras`, e.g.
DriftDetector.object_extras bound to the application), its drift and corrections.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.v1 import Bundle, Health, ObjectAction, ObjectRef, ObjectStatus, Removal, RunningImage, StatusReport
from schemas.v1.drift import ObjectDrift
from spoke import health
from spoke.errors import ErrorClass


@dataclass(frozen=True)
class ObjectOutcome:
    """What one reconcile did to one object."""

    ref: ObjectRef
    action: ObjectAction
    error: str | None = None
    error_class: ErrorClass | None = None


Live = Callable[[ObjectRef], Mapping[str, Any] | None]
# (drift now, corrections made, the drift most recently corrected) of one object.
Extras = Callable[[ObjectRef], tuple[ObjectDrift | None, int, ObjectDrift | None]]


def bundle_status(
    cluster: str,
    bundle: Bundle,
    outcomes: Sequence[ObjectOutcome],
    live: Live,
    *,
    last_applied_revision: int | None,
    errors: Sequence[str],
    now: datetime,
    extras: Extras | None = None,
) -> StatusReport:
    """`extras`: the drift detector's view of each object; given, the report says the drift policy."""
    objects: list[ObjectStatus] = []
    images: set[str] = set()
    containers: list[RunningImage] = []
    healths: list[Health] = []
    for outcome in outcomes:
        if outcome.action == "pruned":
            objects.append(ObjectStatus(ref=outcome.ref, action="pruned", health=Health.MISSING, message="pruned"))
            continue
        obj = live(outcome.ref)
        verdict, message = health.object_health(outcome.ref.kind, obj)
        healths.append(verdict)
        running = health.running_images(outcome.ref.kind, obj, outcome.ref)
        containers.extend(running)
        images.update(r.image for r in running)
        drift, corrections, last_correction = extras(outcome.ref) if extras is not None else (None, 0, None)
        objects.append(
            ObjectStatus(
                ref=outcome.ref,
                action=outcome.action,
                health=verdict,
                message=message,
                error=outcome.error,
                conditions=health.conditions_of(obj),
                drift=drift,
                corrections=corrections,
                last_correction=last_correction,
            )
        )
    overall = health.worst(healths)
    # An object the API server refuses will not fix itself: that is degraded, whatever else is live.
    if any(o.action == "failed" and o.error_class is not ErrorClass.NOT_READY for o in outcomes):
        overall = Health.DEGRADED
    # Errors without a failed object (the reconcile itself failed): whatever is live, not Ready.
    if errors and overall is Health.READY:
        overall = Health.DEGRADED
    return StatusReport(
        cluster=cluster,
        application=bundle.application,
        observed_generation=bundle.generation,
        observed_revision=bundle.revision,
        last_applied_revision=last_applied_revision,
        last_attempted_revision=bundle.revision,
        digest=bundle.digest,
        health=overall,
        objects=objects,
        images=sorted(images),
        containers=containers,
        errors=list(errors),
        drift_mode=bundle.drift.mode if extras is not None else None,
        time=now,
    )


def removal_status(
    cluster: str, removal: Removal, outcomes: Sequence[ObjectOutcome], *, errors: Sequence[str], now: datetime
) -> StatusReport:
    """After an uninstall: removed=True once nothing is left to prune, with what was pruned."""
    objects = [
        ObjectStatus(
            ref=o.ref,
            action=o.action,
            health=Health.MISSING if o.action == "pruned" else Health.UNKNOWN,
            error=o.error,
        )
        for o in outcomes
    ]
    return StatusReport(
        cluster=cluster,
        application=removal.application,
        observed_generation=removal.generation,
        observed_revision=removal.revision,
        last_attempted_revision=removal.revision or None,
        removed=not errors,
        health=Health.MISSING if not errors else Health.DEGRADED,
        objects=objects,
        # Uninstalled, nothing of it runs (an empty list, not None: None is an older spoke's silence).
        containers=[],
        errors=list(errors),
        time=now,
    )


def significant(report: StatusReport) -> dict[str, Any]:
    return report.model_dump(mode="json", exclude={"time"})


def changed(previous: StatusReport | None, current: StatusReport) -> bool:
    return previous is None or significant(previous) != significant(current)
