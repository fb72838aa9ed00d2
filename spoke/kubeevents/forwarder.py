"""The Kubernetes Events forwarder of one cluster: lists and watches Events, forwards those of managed
objects to the hub in batches, one per application about every second.

Interfaces (the agent wires them):

  KubeEventsForwarder(cluster, kube, settings, application_of, send, metrics)
    application_of(ref) -> str | None    the application managing an object (DriftDetector.application_of)
    send(topic, key, value) -> awaitable  the spoke's producer (EVENTS_TOPIC, events_key(cluster), encoded)
    metrics: KubeEventMetrics            e.g. PrometheusKubeEventMetrics(the spoke's ClusterMetrics)
  `await forwarder.run()` until cancelled; `offer(event)` and `flush()` are its two halves.

One cluster-wide watch of core/v1 Events (the same objects as events.k8s.io/v1), filtered on the
server with `type=Warning` unless Normal events are forwarded too: one connection whatever the number
of namespaces, and the API server drops the bulk (Normal events) before they cross the wire. It needs
list and watch on events, cluster-wide. Events are not desired state: a batch that cannot be sent is
not retried, it is counted as dropped and said in the next batch.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from kubernetes_asyncio.client.exceptions import ApiException

from schemas.v1 import KubeEventsEvent, encode
from schemas.v1.kubeevents import KubeEventBatch
from schemas.v1.topics import EVENTS_TOPIC, events_key
from spoke.errors import api_message
from spoke.kube import Kube
from spoke.kubeevents.select import ApplicationOf, Batches, Seen, select
from spoke.metrics import ClusterMetrics
from spoke.settings import SpokeSettings

log = logging.getLogger(__name__)

Send = Callable[[str, bytes, bytes], Awaitable[Any]]
Result = Literal["forwarded", "dropped"]


class KubeEventMetrics(Protocol):
    def counted(self, result: Result, count: int) -> None:
        """fleetcast_spoke_kube_events_total{result} += count"""

    def batch_sent(self) -> None:
        """fleetcast_spoke_reports_total{type="kube-events"} += 1"""


class PrometheusKubeEventMetrics:
    """KubeEventMetrics over one spoke's view of the metrics of docs/metrics.md (labelled by cluster)."""

    def __init__(self, metrics: ClusterMetrics) -> None:
        self._metrics = metrics

    def batch_sent(self) -> None:
        self._metrics.reports_total.labels("kube-events").inc()

    def counted(self, result: Result, count: int) -> None:
        if count:
            self._metrics.kube_events_total.labels(result).inc(count)


class KubeEventsForwarder:
    def __init__(
        self,
        cluster: str,
        kube: Kube,
        settings: SpokeSettings,
        application_of: ApplicationOf,
        send: Send,
        metrics: KubeEventMetrics,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.cluster = cluster
        self.kube = kube
        self.settings = settings
        self.application_of = application_of
        self.send = send
        self.metrics = metrics
        self.clock = clock
        self.now = now
        self.seen = Seen()
        self.batches = Batches(settings.events_per_second, settings.events_burst)

    # -- the pure-ish halves ---------------------------------------------------------------------

    def offer(self, raw: Mapping[str, Any], not_before: datetime | None = None) -> bool:
        """Take one Event object; True when it is queued for the hub."""
        selected = select(raw, self.application_of, self.settings.forward_normal_events)
        if selected is None or not self.seen.first_time(selected.occurrence):
            return False
        if not_before is not None and selected.event.last_time < not_before:
            return False  # history from before we were watching
        if self.batches.offer(selected, self.clock()):
            return True
        self.metrics.counted("dropped", 1)
        return False

    async def flush(self) -> int:
        """Send what is queued, one batch per application; the number of events sent."""
        sent = 0
        for application, pending in sorted(self.batches.drain().items()):
            batch = KubeEventBatch(
                cluster=self.cluster,
                application=application,
                events=pending.events,
                dropped=pending.dropped,
                time=self.now(),
            )
            event = KubeEventsEvent(source=f"spoke/{self.cluster}", cluster=self.cluster, data=batch)
            try:
                await self.send(EVENTS_TOPIC, events_key(self.cluster), encode(event))
            except Exception as error:
                log.warning("%d events of %s not sent: %s", len(pending.events), application, api_message(error))
                self.batches.lost(application, len(pending.events) + pending.dropped)
                self.metrics.counted("dropped", len(pending.events))
                continue
            sent += len(pending.events)
            self.metrics.counted("forwarded", len(pending.events))
            self.metrics.batch_sent()
        return sent

    # -- the loops -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Watch and flush until cancelled."""
        flusher = asyncio.create_task(self._flush_forever(), name=f"kube-events flush {self.cluster}")
        try:
            await self._watch_forever()
        finally:
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.events_flush_interval)
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("forwarding events failed")

    async def _watch_forever(self) -> None:
        selector = None if self.settings.forward_normal_events else "type=Warning"
        delay = self.settings.retry_initial
        started = self.now()
        while True:
            try:
                resource = await self.kube.resource("v1", "Event")
                items, version = await self.kube.list(resource, None, selector)
                # At start, only recent history: a restarted spoke does not replay the cluster's past.
                not_before = started - timedelta(seconds=self.settings.events_backfill)
                for item in items:
                    self.offer(item, not_before)
                delay = self.settings.retry_initial
                while True:
                    async for event in self.kube.watch(resource, version, None, self.settings.watch_timeout, selector):
                        obj = event.get("object") or {}
                        version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                        if event.get("type") in ("ADDED", "MODIFIED"):
                            self.offer(obj)
            except asyncio.CancelledError:
                raise
            except ApiException as error:
                if error.status == 410:
                    continue
                log.warning("watching events failed: %s; retrying in %.1fs", api_message(error), delay)
            except Exception as error:
                log.warning("watching events failed: %s; retrying in %.1fs", api_message(error), delay)
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self.settings.retry_max * 6)
