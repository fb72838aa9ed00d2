"""One periodic loop refreshes every gauge derived from the store (and the dead-letter topic), so a
scrape of /metrics only serializes what is in memory: no query per scrape, however often or by how
many Prometheus servers it is scraped. Interval: FLEETCAST_HUB_METRICS_INTERVAL_SECONDS."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from prometheus_client import Gauge

from hub.drift.store import drifting_by_pair
from hub.metrics import HubMetrics
from hub.observability.deadletters import DeadLetterCounter
from hub.observability.gauges import GaugeValues, Series, compute, stale_series
from hub.observability.queries import read_rows
from hub.services.context import ServiceContext

log = logging.getLogger(__name__)


class SeriesPublisher:
    """Sets labelled gauges to a refresh's values and removes the series the previous refresh set
    that this one has none for: a deleted cluster's or a finished run's series disappear."""

    def __init__(self) -> None:
        # By gauge object (identity): the values each one was given last.
        self._shown: dict[Gauge, Series] = {}

    def publish(self, gauge: Gauge, series: Series) -> None:
        shown = self._shown.get(gauge, {})
        for key in stale_series(shown, series):
            gauge.remove(*key)
        for key, value in series.items():
            # Most values do not change between refreshes: a label lookup saved per series.
            if shown.get(key) != value:
                gauge.labels(*key).set(value)
        self._shown[gauge] = dict(series)


def publish(metrics: HubMetrics, values: GaugeValues, publisher: SeriesPublisher) -> None:
    """Everything at once, with no await in between: a scrape sees one refresh, never half of two."""
    publisher.publish(metrics.clusters, values.clusters)
    publisher.publish(metrics.cluster_up, values.cluster_up)
    publisher.publish(metrics.cluster_heartbeat_age, values.cluster_heartbeat_age)
    publisher.publish(metrics.applications_health, values.applications_health)
    publisher.publish(metrics.cluster_applications, values.cluster_applications)
    publisher.publish(metrics.application_clusters, values.application_clusters)
    publisher.publish(metrics.image_clusters, values.image_clusters)
    publisher.publish(metrics.rollout_runs, values.rollout_runs)
    publisher.publish(metrics.rollout_active_runs, values.rollout_active_runs)
    metrics.approvals_pending.set(values.approvals_pending)
    metrics.outbox_pending.set(values.outbox_pending)
    metrics.outbox_oldest_age.set(values.outbox_oldest_age)


class GaugeCollector:
    def __init__(
        self,
        ctx: ServiceContext,
        metrics: HubMetrics,
        dead_letters: DeadLetterCounter | None,
        interval_seconds: float,
    ) -> None:
        self._ctx = ctx
        self._metrics = metrics
        self._dead_letters = dead_letters
        self._interval = interval_seconds
        self._publisher = SeriesPublisher()
        self._dlq_failing = False

    async def refresh(self) -> None:
        """One refresh: the store's gauges (raises if the store cannot be read), then the DLQ's."""
        await self.refresh_store()
        await self.refresh_dead_letters()

    async def refresh_store(self) -> None:
        async with self._ctx.reading() as session:
            rows = await read_rows(session)
            drifting = await drifting_by_pair(session)
        # After the read: nothing it saw is newer than `now` (ages are clamped at 0 anyway).
        now = self._ctx.clock()
        unreachable_after = timedelta(seconds=self._ctx.settings.unreachable_after_seconds)
        publish(self._metrics, compute(rows, now, unreachable_after), self._publisher)
        self._publisher.publish(self._metrics.drifted_objects, {key: float(n) for key, n in drifting.items()})

    async def refresh_dead_letters(self) -> None:
        if self._dead_letters is None:
            return
        try:
            count = await self._dead_letters.count()
        except asyncio.CancelledError:
            raise
        except Exception:
            # Kafka away: keep the last value (the records did not go away) and say so once.
            if not self._dlq_failing:
                log.warning("could not count the records of the dead-letter topic", exc_info=True)
            self._dlq_failing = True
            return
        self._dlq_failing = False
        self._metrics.dlq_records.set(count or 0)

    async def run(self) -> None:
        store_failing = False
        try:
            while True:
                try:
                    await self.refresh_store()
                    store_failing = False
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # The store briefly away: the gauges keep their last values; counters are served anyway.
                    if not store_failing:
                        log.warning("could not refresh the gauges from the store", exc_info=True)
                    store_failing = True
                await self.refresh_dead_letters()
                await asyncio.sleep(self._interval)
        finally:
            if self._dead_letters is not None:
                await self._dead_letters.close()
