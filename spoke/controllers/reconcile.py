"""Reconcile controller: schedules the reconciles of applications (spoke/reconciler.py does one).

- One lock per application (its reconciles never overlap), at most `parallel` applications at once.
- A reconcile that could not finish (not-ready, retries exhausted) is requeued after `requeue_delay`
  (+-10 %); terminal failures wait for a new desired state or the periodic resync (`resync()`).
- Each outcome is recorded in `AppStates`, what the applies read back goes to the live cache, the
  kinds applied are watched, and `on_state(application)` (the reporter) is told.

Hooks for other controllers:
  - `reconcile_now(application, reason)`: schedule a reconcile at once (e.g. the drift detector
    correcting drift). Returns at once; the reconcile runs as a task.
  - `subscribe_applied(hook)`: after every reconcile, `hook(application, read_back)` with the live
    object the API server returned for each ref applied (the server-side apply response, managedFields
    included: the field manager's set is there).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any, Protocol

from schemas.v1 import Bundle, ObjectRef
from spoke.controllers.state import AppState, AppStates
from spoke.desired import Desired, DesiredStore
from spoke.errors import ErrorClass, api_message, classify
from spoke.metrics import ClusterMetrics
from spoke.reconciler import Outcome
from spoke.watcher import Kind

log = logging.getLogger(__name__)


class ReconcileOne(Protocol):
    """Reconciles one application's desired state against the cluster (spoke/reconciler.py)."""

    async def reconcile(self, desired: Desired) -> Outcome: ...


class LiveCache(Protocol):
    """The live view's side the reconciles write (spoke/controllers/liveview.py)."""

    def mark(self) -> int: ...

    def remember(self, read_back: Mapping[ObjectRef, dict[str, Any]], since: int) -> None: ...

    def forget(self, refs: Iterable[ObjectRef]) -> None: ...

    def ensure(self, kinds: Iterable[Kind]) -> None: ...


AppliedHook = Callable[[str, Mapping[ObjectRef, dict[str, Any]]], None]
OnState = Callable[[str], Awaitable[None]]


class ReconcileController:
    def __init__(
        self,
        store: DesiredStore,
        reconciler: ReconcileOne,
        live: LiveCache,
        states: AppStates,
        on_state: OnState,
        metrics: ClusterMetrics,
        *,
        requeue_delay: float,
        resync_interval: float,
        parallel: int = 8,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.reconciler = reconciler
        self.live = live
        self.states = states
        self.on_state = on_state
        self.metrics = metrics
        self.requeue_delay = requeue_delay
        self.resync_interval = resync_interval
        self.wall_clock = wall_clock
        self._applied: list[AppliedHook] = []
        self._locks: dict[str, asyncio.Lock] = {}
        self._requeues: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        # Applications reconciled at once; each one is sequential inside (kind order matters).
        self._limit = asyncio.Semaphore(parallel)

    def subscribe_applied(self, hook: AppliedHook) -> None:
        self._applied.append(hook)

    def reconcile_now(self, application: str, reason: str) -> None:
        log.info("reconciling %s now: %s", application, reason)
        self._spawn(self.reconcile(application))

    async def reconcile_many(self, applications: Iterable[str]) -> None:
        await asyncio.gather(*(self.reconcile(app) for app in applications))

    async def reconcile(self, application: str) -> None:
        lock = self._locks.setdefault(application, asyncio.Lock())
        # The application's lock first: a requeue waiting behind a running reconcile holds no slot.
        async with lock, self._limit:
            desired = self.store.get(application)
            if desired is None:
                return
            if (pending := self._requeues.pop(application, None)) is not None:
                pending.cancel()
            started = time.monotonic()
            since = self.live.mark()
            try:
                outcome = await self.reconciler.reconcile(desired)
            except Exception as error:
                await self._failed(application, desired, error)
                return
            finally:
                self.metrics.reconcile_time.observe(time.monotonic() - started)
            await self._succeeded(application, desired, outcome, since)

    async def _failed(self, application: str, desired: Desired, error: Exception) -> None:
        error_class = classify(error)
        log.warning("reconcile %s failed (%s): %s", application, error_class, api_message(error))
        self.metrics.reconcile_total.labels("error").inc()
        self.metrics.apply_errors_total.labels(str(error_class)).inc()
        self._requeue(application, with_backoff=error_class is not ErrorClass.TERMINAL)
        # Reported, not kept quiet: the hub must not take silence for success.
        previous = self.states.get(application)
        same = previous is not None and previous.outcome.desired == desired
        failed = Outcome(
            application,
            desired,
            list(previous.outcome.objects) if previous is not None and same else [],
            errors=[f"reconcile failed ({error_class}): {api_message(error)}"],
        )
        self.states.set(application, AppState(failed, previous.last_applied_revision if previous else None))
        await self.on_state(application)

    async def _succeeded(self, application: str, desired: Desired, outcome: Outcome, since: int) -> None:
        previous = self.states.get(application)
        last_applied = previous.last_applied_revision if previous else None
        if outcome.complete and isinstance(desired, Bundle):
            last_applied = desired.revision
        self.states.set(application, AppState(outcome, last_applied))
        self.live.remember(outcome.live, since)
        self.live.forget(o.ref for o in outcome.objects if o.action == "pruned")
        if isinstance(desired, Bundle):
            self.live.ensure({(str(m.get("apiVersion")), str(m.get("kind"))) for m in desired.manifests})
        for failed in (o for o in outcome.objects if o.action == "failed"):
            self.metrics.apply_errors_total.labels(str(failed.error_class or ErrorClass.TERMINAL)).inc()
        result = "success" if outcome.complete else ("requeue" if outcome.requeue else "error")
        self.metrics.reconcile_total.labels(result).inc()
        if outcome.complete:
            self.metrics.last_successful_reconcile.set(self.wall_clock())
        self._update_gauges()
        for hook in self._applied:
            hook(application, outcome.live)
        if outcome.requeue:
            self._requeue(application)
        await self.on_state(application)

    def _requeue(self, application: str, with_backoff: bool = True) -> None:
        # Terminal failures of the whole reconcile wait for the periodic resync, like terminal objects.
        if not with_backoff:
            return
        delay = self.requeue_delay * random.uniform(0.9, 1.1)
        loop = asyncio.get_running_loop()
        if (pending := self._requeues.pop(application, None)) is not None:
            pending.cancel()
        self._requeues[application] = loop.call_later(delay, lambda: self._spawn(self.reconcile(application)))

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _update_gauges(self) -> None:
        installed = self.store.installed()
        self.metrics.applications.set(len(installed))
        self.metrics.managed_objects.set(
            sum(
                sum(1 for o in state.outcome.objects if o.action != "pruned")
                for app, state in self.states.items()
                if app in installed
            )
        )

    async def resync(self) -> None:
        """Level-triggered safety net: re-apply everything now and then, jittered."""
        while True:
            await asyncio.sleep(self.resync_interval * random.uniform(0.9, 1.1))
            log.info("periodic resync of %d applications", len(self.store.applications()))
            await self.reconcile_many(self.store.applications())

    async def close(self) -> None:
        for handle in self._requeues.values():
            handle.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
