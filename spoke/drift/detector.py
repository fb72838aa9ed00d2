"""The drift detector of one cluster: decides drift per object inside each watch event (no polling).

Interfaces (the agent wires them; nothing here talks to Kubernetes or Kafka):

  DriftDetector(cluster, policy_of, reconcile_now, touch, metrics, ...)
    policy_of(application) -> DriftPolicy | None   the application's Bundle.drift (None: not installed)
    reconcile_now(application, reason) -> None       start a reconcile at once (spawn it; must not block)
    touch(application) -> None                       ask the reporter for a (debounced) status report
    fetch(ref) -> awaitable live object | None       optional (Kube.get): confirms a DELETED watch event,
                                                     which a label-selector watch also sends when an
                                                     object only lost the managed-by label
    metrics: DriftMetrics                            e.g. PrometheusDriftMetrics(cluster metrics view)
    guard=guard_from(settings)                       the correction back-off (FLEETCAST_SPOKE_DRIFT_*)

  Fed by the applier (it is spoke.applier.ApplyObserver): `hold`, `ignored`, `applying`, `applied`,
  `pruning` around every apply and prune, so our own writes are never taken for drift.
  Fed by the live view: `observe(event_type, full_object)` for every watch event and
  `observe_list(kind, items)` for every (re)list, with managedFields (before the cache trims them).
  Read by the reporter: `object_extras(application, ref) -> (drift, corrections, last_correction)`;
  by the Events forwarder: `application_of(ref)`.

Policy: under `correct` a drifted object is re-applied at once (reconcile_now) and the correction
counted; under `alert` it is left alone (the applier is told to hold it until a release changes its
manifest) and reported until it matches again. A correction loop guard backs off (bounded,
exponentially) when an object drifts again right after each correction: another controller fights us.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from schemas.v1 import ObjectRef
from schemas.v1.drift import DriftKind, DriftMode, DriftPolicy, FieldPath, ObjectDrift
from spoke.drift.detect import Drift, detect_for, older, version_of
from spoke.drift.fieldsets import FieldSet, owned_by
from spoke.drift.ignore import ignored_paths
from spoke.metrics import ClusterMetrics
from spoke.objects import FIELD_MANAGER, ObjectKey, group_of, key_of, key_of_ref
from spoke.reports import ObjectExtras
from spoke.settings import SpokeSettings

log = logging.getLogger(__name__)

PolicyOf = Callable[[str], DriftPolicy | None]
ReconcileNow = Callable[[str, str], None]
Touch = Callable[[str], None]
Later = Callable[[float, Callable[[], None]], "Cancellable"]
Fetch = Callable[[ObjectRef], Awaitable[Mapping[str, Any] | None]]


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class DriftMetrics(Protocol):
    def drifted(self, mode: DriftMode, count: int) -> None:
        """fleetcast_spoke_drifted_objects{mode} = count"""

    def detected(self, kind: DriftKind) -> None:
        """fleetcast_spoke_drift_detected_total{kind} += 1"""

    def corrected(self) -> None:
        """fleetcast_spoke_drift_corrections_total += 1"""


class PrometheusDriftMetrics:
    """DriftMetrics over one spoke's view of the metrics of docs/metrics.md (already labelled by cluster)."""

    def __init__(self, metrics: ClusterMetrics) -> None:
        self._metrics = metrics

    def drifted(self, mode: DriftMode, count: int) -> None:
        self._metrics.drifted_objects.labels(mode).set(count)

    def detected(self, kind: DriftKind) -> None:
        self._metrics.drift_detected_total.labels(kind).inc()

    def corrected(self) -> None:
        self._metrics.drift_corrections_total.inc()


@dataclass(frozen=True)
class CorrectionGuard:
    """Corrections beyond `free` within `window` seconds back off: initial, doubling, at most `most`."""

    window: float = 60.0
    free: int = 3
    initial: float = 5.0
    most: float = 300.0


def guard_from(settings: SpokeSettings) -> CorrectionGuard:
    return CorrectionGuard(
        window=settings.drift_correction_window,
        free=settings.drift_corrections_free,
        initial=settings.drift_backoff_initial,
        most=settings.drift_backoff_max,
    )


def correction_delay(recent: Sequence[float], now: float, guard: CorrectionGuard) -> float:
    """How long to wait before correcting again, given when the last corrections were made. Pure."""
    count = sum(1 for at in recent if now - at < guard.window)
    if count < guard.free:
        return 0.0
    return float(min(guard.most, guard.initial * 2.0 ** (count - guard.free)))


def manifest_digest(manifest: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True, default=str).encode()).hexdigest()


def _without_bookkeeping(obj: Mapping[str, Any]) -> dict[str, Any]:
    """What value comparisons need of an object: managedFields and status can be most of it."""
    metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "managedFields"}
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": metadata}


@dataclass
class _Tracked:
    application: str
    ref: ObjectRef
    baseline: FieldSet = frozenset()
    applied: Mapping[str, Any] | None = None  # our apply's answer, without managedFields and status
    version: int | None = None
    digest: str | None = None
    applying: bool = False
    pending: tuple[str, Mapping[str, Any]] | None = None
    drift: Drift | None = None
    reported: ObjectDrift | None = None
    corrections: int = 0
    last_correction: ObjectDrift | None = None
    recent: list[float] = field(default_factory=list)
    timer: Cancellable | None = None


Extras = tuple[ObjectDrift | None, int, ObjectDrift | None]


class DriftDetector:
    def __init__(
        self,
        cluster: str,
        policy_of: PolicyOf,
        reconcile_now: ReconcileNow,
        touch: Touch,
        metrics: DriftMetrics,
        *,
        guard: CorrectionGuard | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        clock: Callable[[], float] = time.monotonic,
        later: Later | None = None,
        manager: str = FIELD_MANAGER,
        fetch: Fetch | None = None,
    ) -> None:
        self.cluster = cluster
        self.policy_of = policy_of
        self.reconcile_now = reconcile_now
        self.touch = touch
        self.metrics = metrics
        self.guard = guard or CorrectionGuard()
        self.now = now
        self.clock = clock
        self.later: Later = later or (lambda delay, call: asyncio.get_running_loop().call_later(delay, call))
        self.manager = manager
        self.fetch = fetch
        self._objects: dict[ObjectKey, _Tracked] = {}
        self._checks: set[asyncio.Task[None]] = set()

    # -- the applier's side ------------------------------------------------------------------------

    def _policy(self, application: str) -> DriftPolicy:
        return self.policy_of(application) or DriftPolicy()

    def hold(self, application: str, ref: ObjectRef, manifest: Mapping[str, Any]) -> bool:
        """Leave this object as it is? Under `alert`, a drifted object is not re-applied (by a resync or
        requeue) until a release changes its manifest."""
        tracked = self._objects.get(key_of_ref(ref))
        return (
            tracked is not None
            and tracked.drift is not None
            and self._policy(application).mode == "alert"
            and tracked.digest == manifest_digest(manifest)
        )

    def ignored(self, application: str, ref: ObjectRef) -> list[FieldPath]:
        """The paths the application's ignore rules leave to others on this object."""
        return ignored_paths(self._policy(application).ignore, ref)

    def applying(self, application: str, ref: ObjectRef, manifest: Mapping[str, Any]) -> None:
        """Our apply starts: watch events of the object wait until we know what it made ours."""
        key = key_of_ref(ref)
        tracked = self._objects.get(key)
        if tracked is None or tracked.application != application:
            tracked = self._objects[key] = _Tracked(application, ref)
        tracked.applying = True

    def applied(
        self, application: str, ref: ObjectRef, live: Mapping[str, Any] | None, manifest: Mapping[str, Any]
    ) -> None:
        """Our apply returned `live` (None: it failed, the previous baseline stands)."""
        tracked = self._objects.get(key_of_ref(ref))
        if tracked is None:
            return
        tracked.applying = False
        pending, tracked.pending = tracked.pending, None
        if live is not None:
            tracked.ref = ref
            tracked.baseline = owned_by(live, self.manager) or frozenset()
            tracked.applied = _without_bookkeeping(live)
            tracked.version = version_of(live)
            tracked.digest = manifest_digest(manifest)
            self._decide(tracked, "MODIFIED", live)
        if pending is not None and not older(pending[1], tracked.version):
            if pending[0] == "DELETED":
                self._gone(tracked)
            else:
                self._decide(tracked, *pending)

    def pruning(self, ref: ObjectRef) -> None:
        """We are about to delete the object: its going is not drift."""
        tracked = self._objects.pop(key_of_ref(ref), None)
        if tracked is not None:
            self._forgotten(tracked)

    def forget_application(self, application: str) -> None:
        for key in [k for k, t in self._objects.items() if t.application == application]:
            self._forgotten(self._objects.pop(key))

    def _forgotten(self, tracked: _Tracked) -> None:
        if tracked.timer is not None:
            tracked.timer.cancel()
        if tracked.drift is not None:
            self._update_gauges()
            self.touch(tracked.application)

    # -- the live view's side ----------------------------------------------------------------------

    def observe(self, event_type: str, obj: Mapping[str, Any]) -> None:
        """One watch event (ADDED, MODIFIED, DELETED) with the full object."""
        tracked = self._objects.get(key_of(obj))
        if tracked is None:
            return
        if tracked.applying:
            tracked.pending = (event_type, obj)
            return
        if older(obj, tracked.version):
            return  # from before our apply (a deletion our apply undid, too), delivered after it
        if event_type == "DELETED":
            self._gone(tracked)
        else:
            self._decide(tracked, event_type, obj)

    def observe_list(self, kind: tuple[str, str], items: Sequence[Mapping[str, Any]]) -> None:
        """A (re)list of one kind: what it lacks is gone."""
        present = {key_of(item) for item in items}
        group = group_of(kind[0])
        for key, tracked in list(self._objects.items()):
            if key.group == group and key.kind == kind[1] and key not in present:
                if tracked.applying:
                    tracked.pending = ("DELETED", {})
                else:
                    self._gone(tracked)
        for item in items:
            self.observe("MODIFIED", item)

    def _gone(self, tracked: _Tracked) -> None:
        """A watch with a label selector also says DELETED when an object merely lost the label (someone
        removed app.kubernetes.io/managed-by): with `fetch`, one read tells the two apart."""
        if self.fetch is None:
            self._decide(tracked, "DELETED", {})
            return
        task = asyncio.get_running_loop().create_task(self._confirm(tracked))
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)

    async def _confirm(self, tracked: _Tracked) -> None:
        assert self.fetch is not None
        try:
            live = await self.fetch(tracked.ref)
        except Exception as error:
            log.warning("could not read %s to confirm its deletion: %s", tracked.ref, error)
            live = None
        if self._objects.get(key_of_ref(tracked.ref)) is not tracked:
            return  # pruned or re-tracked meanwhile
        event: tuple[str, Mapping[str, Any]] = ("DELETED", {}) if live is None else ("MODIFIED", live)
        if tracked.applying:
            tracked.pending = event
        else:
            self._decide(tracked, *event)

    async def close(self) -> None:
        """Cancel deletion checks still running and correction timers."""
        for task in list(self._checks):
            task.cancel()
        await asyncio.gather(*self._checks, return_exceptions=True)
        for tracked in self._objects.values():
            if tracked.timer is not None:
                tracked.timer.cancel()

    # -- deciding --------------------------------------------------------------------------------

    def _decide(self, tracked: _Tracked, event_type: str, obj: Mapping[str, Any]) -> None:
        policy = self._policy(tracked.application)
        drift = detect_for(tracked.ref, policy.ignore, tracked.baseline, event_type, obj, self.manager, tracked.applied)
        if drift == tracked.drift:
            return
        before, tracked.drift = tracked.drift, drift
        if drift is None:
            log.info("%s: %s matches what was applied again", tracked.application, tracked.ref)
            tracked.reported = None
        else:
            tracked.reported = drift.report(self.now())
            if before is None or before.kind != drift.kind:
                self.metrics.detected(drift.kind)
            log.info(
                "%s: %s drifted (%s: %s by %s); policy %s",
                tracked.application,
                tracked.ref,
                drift.kind,
                ", ".join(tracked.reported.fields) or "-",
                ", ".join(drift.managers) or "unknown",
                policy.mode,
            )
            if policy.mode == "correct":
                self._correct(tracked)
        self._update_gauges()
        self.touch(tracked.application)

    def _correct(self, tracked: _Tracked) -> None:
        if tracked.timer is not None:
            return  # a correction is already scheduled
        delay = correction_delay(tracked.recent, self.clock(), self.guard)
        if delay <= 0:
            self._correct_now(tracked)
            return
        log.warning(
            "%s: %s drifts again right after each correction (another controller fights us?); correcting in %.0fs",
            tracked.application,
            tracked.ref,
            delay,
        )

        def fire() -> None:
            tracked.timer = None
            if self._objects.get(key_of_ref(tracked.ref)) is tracked and tracked.drift is not None:
                self._correct_now(tracked)

        tracked.timer = self.later(delay, fire)

    def _correct_now(self, tracked: _Tracked) -> None:
        now = self.clock()
        tracked.recent = [at for at in tracked.recent if now - at < self.guard.window] + [now]
        tracked.corrections += 1
        tracked.last_correction = tracked.reported
        self.metrics.corrected()
        self.reconcile_now(tracked.application, f"drift of {tracked.ref}")
        self.touch(tracked.application)

    def _update_gauges(self) -> None:
        counts: dict[DriftMode, int] = {"correct": 0, "alert": 0}
        for tracked in self._objects.values():
            if tracked.drift is not None:
                counts[self._policy(tracked.application).mode] += 1
        for mode, count in counts.items():
            self.metrics.drifted(mode, count)

    # -- the reporter's side ---------------------------------------------------------------------

    def object_extras(self, application: str, ref: ObjectRef) -> Extras:
        """(drift now, corrections made, the drift most recently corrected) of one object."""
        tracked = self._objects.get(key_of_ref(ref))
        if tracked is None or tracked.application != application:
            return None, 0, None
        return tracked.reported, tracked.corrections, tracked.last_correction

    def report_extras(self, application: str, ref: ObjectRef) -> ObjectExtras | None:
        """The reporter's extras provider (spoke/controllers/reporter.py `add_extras`)."""
        drift, corrections, last_correction = self.object_extras(application, ref)
        if drift is None and corrections == 0 and last_correction is None:
            return None
        return ObjectExtras(drift=drift, corrections=corrections, last_correction=last_correction)

    def application_of(self, ref: ObjectRef) -> str | None:
        """The application that applied this object (for the Events forwarder), None if none did."""
        tracked = self._objects.get(key_of_ref(ref))
        return tracked.application if tracked is not None else None

    def drifted(self, application: str | None = None) -> list[tuple[ObjectRef, ObjectDrift]]:
        return [
            (t.ref, t.reported)
            for t in self._objects.values()
            if t.reported is not None and (application is None or t.application == application)
        ]
