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

An Event about an object no application manages, but of a kind a managed one can own (Pod, ReplicaSet,
Job), is attributed to its managed owner through ownerReferences (spoke/kubeevents/owners.py decides;
this reads the objects, GET via spoke/kube.py, with an LRU cache uid -> owner). That needs get on
pods, replicasets and jobs. A lookup that fails (403, 404: the pod is gone, a timeout) loses that event
only: it is counted as `unresolved`, never retried, never stops the watch.
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

from schemas.v1 import KubeEventsEvent, ObjectRef, encode
from schemas.v1.kubeevents import KubeEvent, KubeEventBatch
from schemas.v1.topics import EVENTS_TOPIC, events_key
from spoke.errors import api_message
from spoke.kube import Kube
from spoke.kubeevents.owners import (
    Attributed,
    Link,
    LookUp,
    OwnerCache,
    controller_of,
    followed,
    is_the_same,
    next_step,
)
from spoke.kubeevents.select import (
    ApplicationOf,
    Batches,
    Occurrence,
    Seen,
    Selected,
    attributed,
    candidate,
    subject_uid,
)
from spoke.metrics import ClusterMetrics
from spoke.settings import SpokeSettings

log = logging.getLogger(__name__)

Send = Callable[[str, bytes, bytes], Awaitable[Any]]
Fetch = Callable[[ObjectRef], Awaitable[Mapping[str, Any] | None]]
Result = Literal["forwarded", "dropped", "unresolved"]


class OwnerUnknown(Exception):
    """The owner of an object could not be read (gone, forbidden, the API server away)."""


class OwnerLookups:
    """The owner of an object: from the cache, else read from the API server (and remembered)."""

    def __init__(self, fetch: Fetch, cache: OwnerCache) -> None:
        self.fetch = fetch
        self.cache = cache
        self.requests = 0

    async def owner_of(self, link: Link) -> Link | None:
        known, owner = self.cache.get(link)
        if known:
            return owner
        self.requests += 1
        try:
            obj = await self.fetch(link.ref)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            raise OwnerUnknown(f"{link.ref} could not be read: {api_message(error)}") from error
        if obj is None or not is_the_same(link, obj):
            raise OwnerUnknown(f"{link.ref} is gone")
        owner = controller_of(obj)
        self.cache.put(link, owner)
        return owner


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
        fetch: Fetch | None = None,
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
        self.owners = OwnerLookups(fetch or self._get, OwnerCache(settings.events_owner_cache))
        self._forbidden_logged: set[str] = set()

    async def _get(self, ref: ObjectRef) -> dict[str, Any] | None:
        return await self.kube.get(ref)

    # -- the pure-ish halves ---------------------------------------------------------------------

    async def offer(self, raw: Mapping[str, Any], not_before: datetime | None = None) -> bool:
        """Take one Event object; True when it is queued for the hub."""
        found = candidate(raw, self.settings.forward_normal_events)
        if found is None:
            return False
        occurrence, event = found
        if not_before is not None and event.last_time < not_before:
            return False  # history from before we were watching
        application = self.application_of(event.object)
        if application is None and not followed(event.object):
            return False  # no managed object can own it: not even a lookup
        if occurrence in self.seen:
            return False
        if application is not None:
            selected: Selected | None = attributed(occurrence, event, application, None)
        else:
            selected = await self._attribute(occurrence, event, Link(event.object, subject_uid(raw)))
        # Remembered only once forwarded: an event offered before its managed object was known (a relist
        # at start) still goes out when offered again.
        if selected is None or not self.seen.first_time(occurrence):
            return False
        if self.batches.offer(selected, self.clock()):
            return True
        self.metrics.counted("dropped", 1)
        return False

    async def _attribute(self, occurrence: Occurrence, event: KubeEvent, subject: Link) -> Selected | None:
        """The event for its object's managed owner, if it has one; the walk is owners.next_step's."""
        chain = [subject]
        while True:
            step = next_step(chain, self.application_of, self.settings.events_owner_hops)
            if isinstance(step, Attributed):
                return attributed(occurrence, event, step.application, step.owner)
            if not isinstance(step, LookUp):
                return None
            try:
                owner = await self.owners.owner_of(step.link)
            except OwnerUnknown as error:
                self.metrics.counted("unresolved", 1)
                self._log_unresolved(step.link, event, error)
                return None
            if owner is None:
                return None
            chain.append(owner)

    def _log_unresolved(self, link: Link, event: KubeEvent, error: OwnerUnknown) -> None:
        forbidden = isinstance(error.__cause__, ApiException) and error.__cause__.status == 403
        if forbidden and link.ref.kind not in self._forbidden_logged:
            # Said once per kind: every event about a pod would say it again.
            self._forbidden_logged.add(link.ref.kind)
            log.warning("events of %ss are not forwarded: the spoke may not read them (%s)", link.ref.kind, error)
            return
        log.debug("%s event about %s not forwarded: %s", event.reason, event.object, error)

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
                    await self.offer(item, not_before)
                delay = self.settings.retry_initial
                while True:
                    async for event in self.kube.watch(resource, version, None, self.settings.watch_timeout, selector):
                        obj = event.get("object") or {}
                        version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                        if event.get("type") in ("ADDED", "MODIFIED"):
                            await self.offer(obj)
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
