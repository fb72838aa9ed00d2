"""The spoke agent: wires the consumer, store, reconciler, watcher and reporter together.

Level-triggered (invariant 2): a record only updates the desired store; reconciling compares desired
with live and acts, so replays and duplicates change nothing. Offsets are committed once the
applications a batch touched have been reconciled.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import random
import time
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord

from schemas.v1 import (
    Bundle,
    Heartbeat,
    HeartbeatEvent,
    ObjectRef,
    Removal,
    StatusEvent,
    StatusReport,
    WireError,
    encode,
)
from schemas.v1.topics import HEARTBEAT_TOPIC, STATUS_TOPIC, heartbeat_key, status_key
from spoke.applier import Applier
from spoke.consumer import DesiredTopic, Producer
from spoke.desired import DesiredStore, Verdict, interpret
from spoke.errors import ErrorClass, api_message, classify
from spoke.inventory import InventoryStore
from spoke.kube import Kube
from spoke.metrics import Metrics
from spoke.objects import APPLICATION_LABEL, ObjectKey, group_of, key_of, key_of_ref, labels_of
from spoke.reconciler import Outcome, Reconciler
from spoke.reports import bundle_status, changed, removal_status
from spoke.settings import SpokeSettings
from spoke.watcher import Kind, Watcher

log = logging.getLogger(__name__)

# Applications reconciled at once; each one is sequential inside (kind order matters).
_PARALLEL = 8


def agent_version() -> str:
    try:
        return importlib.metadata.version("fleetcast")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _trimmed(obj: dict[str, Any]) -> dict[str, Any]:
    """What health needs of a live object: managedFields are often most of it, and never needed."""
    metadata = obj.get("metadata") or {}
    if "managedFields" not in metadata:
        return obj
    return {**obj, "metadata": {k: v for k, v in metadata.items() if k != "managedFields"}}


@dataclass
class AppState:
    outcome: Outcome
    last_applied_revision: int | None


class Spoke:
    def __init__(self, settings: SpokeSettings, kube: Kube, producer: Producer, metrics: Metrics) -> None:
        self.settings = settings
        self.cluster = settings.cluster_id
        self.source = f"spoke/{self.cluster}"
        self.kube = kube
        self.producer = producer
        self.metrics = metrics
        self.store = DesiredStore()
        self.applier = Applier(kube, settings)
        self.reconciler = Reconciler(kube, self.applier, InventoryStore(kube, settings.inventory_namespace))
        self.watcher = Watcher(kube, settings, self._on_list, self._on_watch_event)
        self.live: dict[ObjectKey, dict[str, Any]] = {}
        # Which watch update last wrote each live object, so a reconcile never overwrites what the
        # watch delivered while it ran (see _remember).
        self._watch_updates = 0
        self._updated_by_watch: dict[ObjectKey, int] = {}
        self.states: dict[str, AppState] = {}
        self.sent: dict[str, StatusReport] = {}
        self.bootstrapped = asyncio.Event()
        self._locks: dict[str, asyncio.Lock] = {}
        self._requeues: dict[str, asyncio.TimerHandle] = {}
        self._dirty: set[str] = set()
        self._flush: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._limit = asyncio.Semaphore(_PARALLEL)

    # -- consuming -------------------------------------------------------------------------------

    async def consume(self, topic: DesiredTopic) -> None:
        """Bootstrap from the beginning of the topic, reconcile everything, then follow it."""
        await topic.wait_for_topic()
        end = await topic.rewind()
        while await topic.position() < end:
            for record in await topic.poll():
                await self._absorb(record)
        log.info("desired state rebuilt from %s: %d applications", topic.topic, len(self.store.applications()))
        await self.reconcile_many(self.store.applications())
        await topic.commit(await topic.position())
        self.bootstrapped.set()
        while True:
            records = await topic.poll()
            if not records:
                continue
            touched: set[str] = set()
            for record in records:
                touched |= await self._absorb(record)
            await self.reconcile_many(sorted(touched))
            await topic.commit(records[-1].offset + 1)

    async def _absorb(self, record: ConsumerRecord[bytes, bytes]) -> set[str]:
        """Feed one record to the store; returns the applications it changed."""
        try:
            application, desired = interpret(record.key, record.value, self.cluster)
        except WireError as error:
            log.warning(
                "malformed record at %s[%d]@%d (%s): %s; sent to the DLQ",
                record.topic,
                record.partition,
                record.offset,
                error.reason,
                error.detail,
            )
            self.metrics.events_total.labels("malformed").inc()
            self.metrics.dlq_total.labels(error.reason).inc()
            await self.producer.dead_letter(record, error)
            return set()
        kind = "tombstone" if desired is None else ("bundle" if isinstance(desired, Bundle) else "removal")
        verdict = self.store.offer(application, desired)
        if verdict is not Verdict.ACCEPTED:
            log.info("ignoring %s %s for %s at offset %d", verdict, kind, application, record.offset)
            self.metrics.events_total.labels(str(verdict)).inc()
            return set()
        self.metrics.events_total.labels(kind).inc()
        return {application}

    # -- reconciling -----------------------------------------------------------------------------

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
            watched_before = self._watch_updates
            try:
                outcome = await self.reconciler.reconcile(desired)
            except Exception as error:
                error_class = classify(error)
                log.warning("reconcile %s failed (%s): %s", application, error_class, api_message(error))
                self.metrics.reconcile_total.labels("error").inc()
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
                self.states[application] = AppState(failed, previous.last_applied_revision if previous else None)
                await self.report(application)
                return
            finally:
                self.metrics.reconcile_time.observe(time.monotonic() - started)
            previous = self.states.get(application)
            last_applied = previous.last_applied_revision if previous else None
            if outcome.complete and isinstance(desired, Bundle):
                last_applied = desired.revision
            self.states[application] = AppState(outcome, last_applied)
            self._remember(outcome.live, watched_before)
            for pruned in (o.ref for o in outcome.objects if o.action == "pruned"):
                self.live.pop(key_of_ref(pruned), None)
            if isinstance(desired, Bundle):
                self.watcher.ensure({(str(m.get("apiVersion")), str(m.get("kind"))) for m in desired.manifests})
            result = "success" if outcome.complete else ("requeue" if outcome.requeue else "error")
            self.metrics.reconcile_total.labels(result).inc()
            self._update_gauges()
            if outcome.requeue:
                self._requeue(application)
            await self.report(application)

    def _remember(self, read_back: dict[ObjectRef, dict[str, Any]], watched_before: int) -> None:
        """Keep the objects a reconcile read back, unless the watch updated them since it started.

        The watch's copy is then newer: a Deployment that became Available while the reconcile ran
        (kwok makes pods Ready in milliseconds) would otherwise be overwritten by the Progressing copy
        read right after the apply, and with no further change to watch, health would stay stale
        until the next resync. The watch delivers every change in order, so preferring it is safe."""
        for ref, obj in read_back.items():
            key = key_of_ref(ref)
            if self._updated_by_watch.get(key, -1) <= watched_before:
                self.live[key] = _trimmed(obj)

    def _requeue(self, application: str, with_backoff: bool = True) -> None:
        # Terminal failures of the whole reconcile wait for the periodic resync, like terminal objects.
        if not with_backoff:
            return
        delay = self.settings.requeue_delay * random.uniform(0.9, 1.1)
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
            await asyncio.sleep(self.settings.resync_interval * random.uniform(0.9, 1.1))
            log.info("periodic resync of %d applications", len(self.store.applications()))
            await self.reconcile_many(self.store.applications())

    # -- watching --------------------------------------------------------------------------------

    def _watched(self, key: ObjectKey) -> None:
        self._watch_updates += 1
        self._updated_by_watch[key] = self._watch_updates

    def _on_list(self, kind: Kind, items: list[dict[str, Any]]) -> None:
        group = group_of(kind[0])
        fresh = {key_of(item): item for item in items}
        for key in [k for k in self.live if k.group == group and k.kind == kind[1] and k not in fresh]:
            self._watched(key)
            self._touch(labels_of(self.live.pop(key)).get(APPLICATION_LABEL))
        for key, item in fresh.items():
            self._watched(key)
            self.live[key] = _trimmed(item)
            self._touch(labels_of(item).get(APPLICATION_LABEL))

    def _on_watch_event(self, event_type: str, obj: dict[str, Any]) -> None:
        key = key_of(obj)
        self._watched(key)
        if event_type == "DELETED":
            self.live.pop(key, None)
        else:
            self.live[key] = _trimmed(obj)
        self._touch(labels_of(obj).get(APPLICATION_LABEL))

    def _touch(self, application: str | None) -> None:
        """Debounced re-report: a burst of watch events makes one report."""
        if application is None or application not in self.states:
            return
        self._dirty.add(application)
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(
                self.settings.report_debounce, lambda: self._spawn(self._report_dirty())
            )

    async def _report_dirty(self) -> None:
        self._flush = None
        dirty, self._dirty = self._dirty, set()
        for application in sorted(dirty):
            await self.report(application)

    # -- reporting -------------------------------------------------------------------------------

    def _live_of(self, ref: ObjectRef) -> dict[str, Any] | None:
        return self.live.get(key_of_ref(ref))

    def status_of(self, application: str) -> StatusReport | None:
        state = self.states.get(application)
        if state is None:
            return None
        desired, now = state.outcome.desired, datetime.now(UTC)
        if isinstance(desired, Removal):
            return removal_status(self.cluster, desired, state.outcome.objects, errors=state.outcome.errors, now=now)
        return bundle_status(
            self.cluster,
            desired,
            state.outcome.objects,
            self._live_of,
            last_applied_revision=state.last_applied_revision,
            errors=state.outcome.errors,
            now=now,
        )

    async def report(self, application: str) -> None:
        report = self.status_of(application)
        if report is None or not changed(self.sent.get(application), report):
            return
        event = StatusEvent(source=self.source, cluster=self.cluster, data=report)
        try:
            await self.producer.send(STATUS_TOPIC, status_key(self.cluster, application), encode(event))
        except Exception as error:
            # Not recorded as sent: the next change or resync sends it again.
            log.warning("status report for %s not sent: %s", application, api_message(error))
            return
        self.sent[application] = report
        self.metrics.reports_total.labels("status").inc()
        log.info("reported %s: %s (revision %s)", application, report.health, report.observed_revision)

    async def heartbeats(self) -> None:
        version = agent_version()
        while True:
            try:
                kubernetes_version = await self.kube.server_version()
                nodes, ready = await self.kube.node_counts()
                heartbeat = Heartbeat(
                    cluster=self.cluster,
                    agent_version=version,
                    kubernetes_version=kubernetes_version,
                    nodes=nodes,
                    ready_nodes=ready,
                    applications=len(self.store.installed()),
                    interval_seconds=self.settings.heartbeat_interval,
                    time=datetime.now(UTC),
                )
                event = HeartbeatEvent(source=self.source, cluster=self.cluster, data=heartbeat)
                await self.producer.send(HEARTBEAT_TOPIC, heartbeat_key(self.cluster), encode(event))
                self.metrics.reports_total.labels("heartbeat").inc()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("heartbeat not sent: %s", api_message(error))
            await asyncio.sleep(self.settings.heartbeat_interval)

    async def close(self) -> None:
        for handle in self._requeues.values():
            handle.cancel()
        if self._flush is not None:
            self._flush.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.watcher.close()
