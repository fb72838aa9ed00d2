"""Reconcile controller: records outcomes, feeds the live cache, tells the reporter and the applied
hooks, counts apply errors by class, and requeues what may succeed later."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException

from schemas.v1 import ObjectRef
from spoke.controllers.reconcile import ReconcileController
from spoke.controllers.state import AppStates
from spoke.desired import DesiredStore
from tests.unit.spoke.controllers.fakes import FakeLiveCache, FakeReconciler, bundle, metrics, ref, sample
from tests.waiting import eventually_async


async def until(check: Callable[[], bool], what: str) -> None:
    async def holds() -> bool:
        return check()

    await eventually_async(holds, timeout=10, what=what, interval=0.01)


def controller(reconciler: FakeReconciler, told: list[str], requeue_delay: float = 60.0) -> ReconcileController:
    async def on_state(application: str) -> None:
        told.append(application)

    store = DesiredStore()
    store.offer("a", bundle("a"))
    return ReconcileController(
        store,
        reconciler,
        FakeLiveCache(),
        AppStates(),
        on_state,
        metrics(),
        requeue_delay=requeue_delay,
        resync_interval=300.0,
        wall_clock=lambda: 1234.0,
    )


async def test_a_successful_reconcile_is_recorded_remembered_watched_and_reported() -> None:
    told: list[str] = []
    applied: list[tuple[str, Mapping[ObjectRef, dict[str, Any]]]] = []
    reconcile = controller(FakeReconciler(), told)
    reconcile.subscribe_applied(lambda app, live: applied.append((app, live)))
    await reconcile.reconcile("a")
    state = reconcile.states.get("a")
    assert state is not None and state.last_applied_revision == 1
    assert told == ["a"]
    assert isinstance(reconcile.live, FakeLiveCache) and ref("a") in reconcile.live.remembered
    assert reconcile.live.kinds == {("v1", "ConfigMap")}
    # The hook gets the apply's response, managedFields included.
    assert applied[0][0] == "a" and "managedFields" in applied[0][1][ref("a")]["metadata"]
    view = reconcile.metrics
    assert sample(view, "fleetcast_spoke_reconcile_total", result="success") == 1
    assert sample(view, "fleetcast_spoke_last_successful_reconcile_timestamp_seconds") == 1234.0
    assert sample(view, "fleetcast_spoke_applications") == 1
    assert sample(view, "fleetcast_spoke_managed_objects") == 1
    await reconcile.close()


async def test_a_failed_reconcile_is_reported_counted_by_class_and_requeued() -> None:
    told: list[str] = []
    reconciler = FakeReconciler(error=ApiException(status=503, reason="unavailable"))
    reconcile = controller(reconciler, told, requeue_delay=0.01)
    await reconcile.reconcile("a")
    state = reconcile.states.get("a")
    assert state is not None and state.outcome.errors and "retriable" in state.outcome.errors[0]
    assert told == ["a"]
    view = reconcile.metrics
    assert sample(view, "fleetcast_spoke_reconcile_total", result="error") == 1
    assert sample(view, "fleetcast_spoke_apply_errors_total", **{"class": "retriable"}) == 1
    assert sample(view, "fleetcast_spoke_last_successful_reconcile_timestamp_seconds") == 0
    reconciler.error = None
    await until(lambda: told == ["a", "a"], "the requeued reconcile")  # the requeue comes by itself
    assert reconciler.calls == ["a", "a"]
    await reconcile.close()


async def test_a_terminal_failure_is_not_requeued() -> None:
    reconciler = FakeReconciler(error=ApiException(status=422, reason="invalid"))
    reconcile = controller(reconciler, [], requeue_delay=0.01)
    await reconcile.reconcile("a")
    await asyncio.sleep(0.05)
    assert reconciler.calls == ["a"]
    assert sample(reconcile.metrics, "fleetcast_spoke_apply_errors_total", **{"class": "terminal"}) == 1


async def test_failed_objects_are_counted_by_class() -> None:
    reconcile = controller(FakeReconciler(action="failed"), [])
    await reconcile.reconcile("a")
    assert sample(reconcile.metrics, "fleetcast_spoke_apply_errors_total", **{"class": "terminal"}) == 1
    assert sample(reconcile.metrics, "fleetcast_spoke_reconcile_total", result="error") == 1


async def test_reconcile_now_runs_a_reconcile_by_itself() -> None:
    told: list[str] = []
    reconcile = controller(FakeReconciler(), told)
    reconcile.reconcile_now("a", "drift corrected")
    await until(lambda: told == ["a"], "the reconcile asked for")
    await reconcile.close()


async def test_an_unknown_application_is_not_reconciled() -> None:
    reconciler = FakeReconciler()
    reconcile = controller(reconciler, [])
    await reconcile.reconcile("nope")
    assert reconciler.calls == []
