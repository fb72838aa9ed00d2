"""The drift detector as a controller: our own applies are never drift, policies decide what happens,
the correction loop guard backs off. Driven by hand: no cluster, explicit clocks and timers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from schemas.v1 import ObjectRef
from schemas.v1.drift import DriftKind, DriftMode, DriftPolicy, IgnoreRule, parse_path
from spoke.drift.detector import CorrectionGuard, DriftDetector, correction_delay

REF = ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace="shop")
OURS: dict[str, Any] = {"f:spec": {"f:replicas": {}, "f:paused": {}}}
MANIFEST: dict[str, Any] = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}


def obj(version: int, *entries: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "resourceVersion": str(version),
            "managedFields": [
                {"manager": m, "operation": "Apply" if m == "fleetcast" else "Update", "fieldsV1": f}
                for m, f in entries
            ],
        },
    }


AS_APPLIED = obj(10, ("fleetcast", OURS))
SCALED_ENTRIES: list[tuple[str, dict[str, Any]]] = [
    ("fleetcast", {"f:spec": {"f:paused": {}}}),
    ("kubectl-scale", {"f:spec": {"f:replicas": {}}}),
]
SCALED = obj(11, *SCALED_ENTRIES)


@dataclass
class Timer:
    delay: float
    call: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class World:
    policy: DriftPolicy = field(default_factory=DriftPolicy)
    reconciles: list[tuple[str, str]] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)
    gauges: dict[str, int] = field(default_factory=dict)
    detected: list[str] = field(default_factory=list)
    corrections: int = 0
    timers: list[Timer] = field(default_factory=list)
    now: float = 1000.0

    def drifted(self, mode: DriftMode, count: int) -> None:
        self.gauges[mode] = count

    def detected_(self, kind: DriftKind) -> None:
        self.detected.append(kind)

    def detector(self) -> DriftDetector:
        world = self

        class Metrics:
            def drifted(self, mode: DriftMode, count: int) -> None:
                world.drifted(mode, count)

            def detected(self, kind: DriftKind) -> None:
                world.detected_(kind)

            def corrected(self) -> None:
                world.corrections += 1

        def later(delay: float, call: Callable[[], None]) -> Timer:
            world.timers.append(Timer(delay, call))
            return world.timers[-1]

        return DriftDetector(
            "c1",
            lambda app: world.policy if app == "shop" else None,
            lambda app, why: world.reconciles.append((app, why)),
            world.touched.append,
            Metrics(),
            now=lambda: datetime(2026, 1, 1, tzinfo=UTC),
            clock=lambda: world.now,
            later=later,
        )


def applied(detector: DriftDetector, live: dict[str, Any] = AS_APPLIED) -> None:
    detector.applying("shop", REF, MANIFEST)
    detector.applied("shop", REF, live, MANIFEST)


def test_alert_reports_drift_holds_the_object_and_clears_when_changed_back() -> None:
    world = World(DriftPolicy(mode="alert"))
    detector = world.detector()
    applied(detector)
    detector.observe("MODIFIED", AS_APPLIED)
    assert detector.object_extras("shop", REF) == (None, 0, None)

    detector.observe("MODIFIED", SCALED)
    drift, corrections, _ = detector.object_extras("shop", REF)
    assert drift is not None and drift.fields == ["spec.replicas"] and drift.managers == ["kubectl-scale"]
    assert corrections == 0 and world.reconciles == []
    assert world.gauges == {"correct": 0, "alert": 1} and world.detected == ["modified"]
    assert world.touched == ["shop"]
    assert detector.hold("shop", REF, MANIFEST)  # a resync leaves it alone
    assert not detector.hold("shop", REF, {**MANIFEST, "spec": {"replicas": 2}})  # a new release does not

    detector.observe("MODIFIED", obj(12, ("fleetcast", OURS)))  # changed back through our manager
    assert detector.object_extras("shop", REF) == (None, 0, None)
    assert world.gauges["alert"] == 0


def test_correct_re_applies_at_once_counts_it_and_clears_after_the_re_apply() -> None:
    world = World()
    detector = world.detector()
    applied(detector)
    detector.observe("MODIFIED", SCALED)
    assert world.reconciles == [("shop", f"drift of {REF}")]
    drift, corrections, last = detector.object_extras("shop", REF)
    assert drift is not None and corrections == 1 and last == drift and world.corrections == 1
    assert not detector.hold("shop", REF, MANIFEST)

    applied(detector, obj(13, ("fleetcast", OURS)))
    drift, corrections, last = detector.object_extras("shop", REF)
    assert drift is None and corrections == 1 and last is not None and last.fields == ["spec.replicas"]
    assert world.gauges["correct"] == 0


def test_our_own_apply_is_never_drift_whatever_order_the_watch_delivers_it_in() -> None:
    world = World(DriftPolicy(mode="alert"))
    detector = world.detector()
    applied(detector)
    # A release stops managing spec.paused: the watch delivers the new object before the apply returns.
    fewer = {"f:spec": {"f:replicas": {}}}
    detector.applying("shop", REF, MANIFEST)
    detector.observe("MODIFIED", obj(20, ("fleetcast", fewer)))
    detector.applied("shop", REF, obj(20, ("fleetcast", fewer)), MANIFEST)
    # ... and an event from before the apply arrives late.
    detector.observe("MODIFIED", obj(15, ("fleetcast", {})))
    assert detector.object_extras("shop", REF)[0] is None and world.detected == []


def test_deleted_and_pruned() -> None:
    world = World(DriftPolicy(mode="alert"))
    detector = world.detector()
    applied(detector)
    detector.observe("DELETED", AS_APPLIED)
    drift = detector.object_extras("shop", REF)[0]
    assert drift is not None and drift.kind == "deleted" and drift.fields == []
    detector.pruning(REF)
    assert detector.object_extras("shop", REF) == (None, 0, None)
    # A prune's own delete is not drift.
    applied(detector)
    detector.pruning(REF)
    detector.observe("DELETED", AS_APPLIED)
    assert world.detected == ["deleted"]


def test_a_relist_without_the_object_means_deleted() -> None:
    world = World(DriftPolicy(mode="alert"))
    detector = world.detector()
    applied(detector)
    detector.observe_list(("apps/v1", "Deployment"), [AS_APPLIED])
    assert detector.object_extras("shop", REF)[0] is None
    detector.observe_list(("apps/v1", "Deployment"), [])
    drift = detector.object_extras("shop", REF)[0]
    assert drift is not None and drift.kind == "deleted"


def test_ignored_fields_are_not_drift_and_are_named_to_the_applier() -> None:
    world = World(DriftPolicy(mode="correct", ignore=[IgnoreRule(kind="Deployment", paths=["spec.replicas"])]))
    detector = world.detector()
    applied(detector)
    detector.observe("MODIFIED", SCALED)
    assert detector.object_extras("shop", REF)[0] is None and world.reconciles == []
    assert detector.ignored("shop", REF) == [parse_path("spec.replicas")]


def test_a_fight_with_another_controller_backs_off() -> None:
    world = World()
    detector = world.detector()
    applied(detector)
    for version in range(3):  # three corrections in a row, each followed at once by the same drift
        detector.observe("MODIFIED", obj(100 + 2 * version, *SCALED_ENTRIES))
        applied(detector, obj(101 + 2 * version, ("fleetcast", OURS)))
        world.now += 1
    assert len(world.reconciles) == 3 and world.timers == []
    detector.observe("MODIFIED", obj(200, *SCALED_ENTRIES))
    assert len(world.reconciles) == 3 and [t.delay for t in world.timers] == [5.0]
    drift, corrections, _ = detector.object_extras("shop", REF)
    assert drift is not None and corrections == 3  # reported while backing off
    world.timers[0].call()
    assert len(world.reconciles) == 4


def test_correction_delay_is_bounded_and_forgets_old_corrections() -> None:
    guard = CorrectionGuard(window=60, free=3, initial=5, most=300)
    assert correction_delay([], 100, guard) == 0
    assert correction_delay([90, 95], 100, guard) == 0
    assert correction_delay([90, 95, 99], 100, guard) == 5
    assert correction_delay([90, 95, 99, 99.5], 100, guard) == 10
    assert correction_delay([100.0] * 50, 100, guard) == 300
    assert correction_delay([1, 2, 3, 4], 100, guard) == 0


async def test_a_deleted_event_is_confirmed_with_one_read_when_it_can_be() -> None:
    import asyncio

    world = World(DriftPolicy(mode="alert"))
    answers: list[dict[str, Any] | None] = [SCALED, None]

    async def fetch(ref: ObjectRef) -> dict[str, Any] | None:
        return answers.pop(0)

    plain = world.detector()
    detector = DriftDetector(
        "c1",
        plain.policy_of,
        plain.reconcile_now,
        plain.touch,
        plain.metrics,
        now=plain.now,
        clock=plain.clock,
        later=plain.later,
        fetch=fetch,
    )
    applied(detector)
    # It only left the watch's label selector: it is there, and that is a modification.
    detector.observe("DELETED", AS_APPLIED)
    await asyncio.sleep(0)
    await asyncio.gather(*detector._checks)
    drift = detector.object_extras("shop", REF)[0]
    assert drift is not None and drift.kind == "modified"
    # Really gone.
    detector.observe("DELETED", AS_APPLIED)
    await asyncio.gather(*detector._checks)
    drift = detector.object_extras("shop", REF)[0]
    assert drift is not None and drift.kind == "deleted"
    await detector.close()


def test_a_deletion_our_apply_undid_is_not_drift() -> None:
    world = World(DriftPolicy(mode="alert"))
    detector = world.detector()
    applied(detector)
    detector.applying("shop", REF, MANIFEST)
    detector.observe("DELETED", obj(30, ("fleetcast", OURS)))  # deleted by hand; our apply creates it again
    detector.applied("shop", REF, obj(31, ("fleetcast", OURS)), MANIFEST)
    detector.observe("DELETED", obj(30, ("fleetcast", OURS)))  # the same event, late
    assert detector.object_extras("shop", REF)[0] is None and world.detected == []


def test_the_back_off_comes_from_settings() -> None:
    from spoke.drift.detector import guard_from
    from spoke.settings import SpokeSettings

    guard = guard_from(SpokeSettings(cluster_id="c1", drift_corrections_free=5, drift_backoff_max=60))
    assert (guard.free, guard.window, guard.initial, guard.most) == (5, 60.0, 5.0, 60.0)
