"""The spoke for one cluster: builds its controllers (spoke/controllers/) and runs and stops them.

Nothing is decided here; this only wires. Everything a spoke holds is per instance (its cluster id,
clients, metrics view), so several spokes can run in one process and event loop:

    live view  --on_event/on_list-->  reporter, drift detector
    intake  --reconcile_many-->  reconcile  --remember/forget/ensure-->  live view
                                 reconcile  --on_state-->  reporter
    applier  --applying/applied/pruning-->  drift detector  --reconcile_now-->  reconcile
                                            drift detector  --touch / extras-->  reporter
    events forwarder (its own Events watch; asks the drift detector which application owns an object)
    heartbeat (reads the desired store)

Hooks for further controllers (drift detector, events forwarder), all on the built `Spoke`:
  - `live.subscribe(on_event, on_list)`: every watch event (type, FULL object, managedFields included)
    and every list snapshot; objects gone from a re-list come as synthetic DELETED events.
  - `reconcile.subscribe_applied(hook)`: `hook(application, {ref: server-side apply response})` after
    every reconcile; `reconcile.reconcile_now(application, reason)` schedules one at once.
  - `reporter.add_extras(provider)`: `provider(application, ref) -> ObjectExtras | None` (drift,
    conditions, corrections) in every status report; `reporter.touch(application)` re-reports (debounced).
  - `store` (DesiredStore: each application's Bundle, with its drift policy) and `states` (last outcomes).
  - `metrics`: this cluster's view, with the drift and kube-events metrics already defined.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from schemas.v1 import Bundle, DriftPolicy
from spoke.applier import Applier
from spoke.consumer import DesiredTopic, Producer
from spoke.controllers.heartbeat import HeartbeatController, agent_version
from spoke.controllers.intake import Intake
from spoke.controllers.liveview import LiveView
from spoke.controllers.reconcile import ReconcileController
from spoke.controllers.reporter import Reporter
from spoke.controllers.state import AppStates
from spoke.desired import DesiredStore
from spoke.drift.detector import DriftDetector, PrometheusDriftMetrics, guard_from
from spoke.inventory import InventoryStore
from spoke.kube import Kube
from spoke.kubeevents.forwarder import KubeEventsForwarder, PrometheusKubeEventMetrics
from spoke.metrics import ClusterMetrics
from spoke.reconciler import Reconciler
from spoke.reports import Extras, no_extras
from spoke.settings import SpokeSettings
from spoke.watcher import OnEvent, OnList, Watcher


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Spoke:
    def __init__(
        self,
        settings: SpokeSettings,
        kube: Kube,
        producer: Producer,
        topic: DesiredTopic,
        metrics: ClusterMetrics,
        *,
        clock: Callable[[], datetime] = _utc_now,
        extras: Extras = no_extras,
    ) -> None:
        self.settings = settings
        self.cluster = settings.cluster_id
        self.metrics = metrics
        self.store = DesiredStore()
        self.states = AppStates()

        def watches(on_list: OnList, on_event: OnEvent) -> Watcher:
            return Watcher(
                kube, settings, on_list, on_event, lambda reason: metrics.watch_restarts_total.labels(reason).inc()
            )

        self.live = LiveView(watches)
        self.reporter = Reporter(
            self.cluster,
            self.states,
            self.live.get,
            producer,
            metrics,
            debounce=settings.report_debounce,
            clock=clock,
            extras=extras,
        )
        self.live.subscribe(self.reporter.on_event, self.reporter.on_list)
        # Late-bound: the detector and the reconcile controller each need the other.
        self.drift = DriftDetector(
            self.cluster,
            self._drift_policy,
            lambda application, reason: self.reconcile.reconcile_now(application, reason),
            self.reporter.touch,
            PrometheusDriftMetrics(metrics),
            guard=guard_from(settings),
            now=clock,
            fetch=kube.get,
        )
        self.live.subscribe(self.drift.observe, self.drift.observe_list)
        self.reporter.add_extras(self.drift.report_extras)
        applier = Applier(kube, settings, observer=self.drift)
        self.reconcile = ReconcileController(
            self.store,
            Reconciler(kube, applier, InventoryStore(kube, settings.inventory_namespace)),
            self.live,
            self.states,
            self.reporter.report,
            metrics,
            requeue_delay=settings.requeue_delay,
            resync_interval=settings.resync_interval,
        )
        self.intake = Intake(
            self.cluster,
            self.store,
            topic,
            producer,
            self.reconcile.reconcile_many,
            metrics,
            restart_delay=settings.retry_initial,
            max_restart_delay=settings.retry_max * 6,
        )
        self.heartbeat = HeartbeatController(
            self.cluster,
            kube,
            lambda: len(self.store.installed()),
            producer,
            metrics,
            interval=settings.heartbeat_interval,
            clock=clock,
            version=agent_version(),
        )
        self.events = KubeEventsForwarder(
            self.cluster,
            kube,
            settings,
            self.drift.application_of,
            producer.send,
            PrometheusKubeEventMetrics(metrics),
        )
        self._tasks: list[asyncio.Task[Any]] = []

    def _drift_policy(self, application: str) -> DriftPolicy | None:
        desired = self.store.get(application)
        return desired.drift if isinstance(desired, Bundle) else None

    @property
    def bootstrapped(self) -> asyncio.Event:
        return self.intake.bootstrapped

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self.intake.run(), name=f"consume {self.cluster}"),
            asyncio.create_task(self.heartbeat.run(), name=f"heartbeats {self.cluster}"),
            asyncio.create_task(self.reconcile.resync(), name=f"resync {self.cluster}"),
            asyncio.create_task(self.events.run(), name=f"kube-events {self.cluster}"),
        ]

    def alive(self) -> bool:
        """The consume loop runs (it never ends on its own: if it did, the spoke is broken)."""
        return bool(self._tasks) and not self._tasks[0].done()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.reconcile.close()
        await self.drift.close()
        await self.reporter.close()
        await self.live.close()
