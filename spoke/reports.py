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
from schemas.v1.reports import Condition
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


@dataclass(frozen=True)
class ObjectExtras:
    """What other controllers (drift detector, conditions) add to one object's status."""

    conditions: tuple[Condition, ...] = ()
    drift: ObjectDrift | None = None
    corrections: int = 0
    last_correction: ObjectDrift | None = None


# (application, ref) -> extras of that object, or None for none.
Extras = Callable[[str, ObjectRef], ObjectExtras | None]
ObjectExtrasOf = Callable[[ObjectRef], ObjectExtras | None]


def no_extras(_application: str, _ref: ObjectRef) -> ObjectExtras | None:
    return None


def merged(extras: Sequence[ObjectExtras]) -> ObjectExtras:
    """Several providers' extras of one object as one: conditions together, the first drift and last
    correction given, the most corrections counted."""
    return ObjectExtras(
        conditions=tuple(c for e in extras for c in e.conditions),
        drift=next((e.drift for e in extras if e.drift is not None), None),
        corrections=max((e.corrections for e in extras), default=0),
        last_correction=next((e.last_correction for e in extras if e.last_correction is not None), None),
    )


def _none(_ref: ObjectRef) -> ObjectExtras | None:
    return None


def bundle_status(
    cluster: str,
    bundle: Bundle,
    outcomes: Sequence[ObjectOutcome],
    live: Live,
    *,
    last_applied_revision: int | None,
    errors: Sequence[str],
    now: datetime,
    extras: ObjectExtrasOf = _none,
) -> StatusReport:
    """`extras`: what other controllers (the drift detector) know of each object. The report says the
    drift policy the spoke applies: the bundle's."""
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
        extra = extras(outcome.ref) or ObjectExtras()
        objects.append(
            ObjectStatus(
                ref=outcome.ref,
                action=outcome.action,
                health=verdict,
                message=message,
                error=outcome.error,
                conditions=list(extra.conditions) or health.conditions_of(obj),
                drift=extra.drift,
                corrections=extra.corrections,
                last_correction=extra.last_correction,
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
        drift_mode=bundle.drift.mode,
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
