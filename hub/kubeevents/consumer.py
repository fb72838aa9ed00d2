"""The events consumer: Kubernetes Events batches from every spoke, on the events topic, in its own
consumer group (`<report group>-events`), so a flood of events never delays status reports. Offsets are
committed after a batch is stored (a crash re-reads, and the series upsert makes that harmless); an
unreadable record goes to the DLQ with its reason and is committed past."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer, ConsumerRecord

from hub.consuming import GroupConsumer, dead_letter
from hub.errors import is_retriable, retrying
from hub.kubeevents.service import KubeEventService, Outcome
from hub.metrics import HubMetrics
from hub.observability.gauges import ingest_lag_seconds
from hub.settings import HubSettings
from schemas.v1 import KubeEventsEvent, WireError
from schemas.v1.envelope import decode_kube_events
from schemas.v1.topics import EVENTS_TOPIC

log = logging.getLogger(__name__)

KIND = "kube-events"


def events_group(settings: HubSettings) -> str:
    return f"{settings.report_group_id}-events"


class KubeEventConsumer:
    def __init__(
        self, settings: HubSettings, events: KubeEventService, metrics: HubMetrics, topics_ready: asyncio.Event
    ) -> None:
        self._settings = settings
        self._events = events
        self._metrics = metrics
        self._topics_ready = topics_ready
        self._group = events_group(settings)

    async def run(self) -> None:
        await GroupConsumer(
            self._settings,
            "Kubernetes Events",
            [EVENTS_TOPIC],
            self._group,
            "events",
            self._handle,
            self._topics_ready,
            max_records=200,
        ).run()

    async def _handle(self, records: list[ConsumerRecord[bytes, bytes]], dlq: AIOKafkaProducer) -> None:
        readable: list[tuple[ConsumerRecord[bytes, bytes], KubeEventsEvent]] = []
        for record in records:
            if record.value is None:
                continue
            try:
                readable.append((record, decode_kube_events(record.value)))
            except WireError as error:
                await self._reject(record, dlq, error.reason, error.detail)
        if not readable:
            return
        try:
            outcomes = await self._store([event for _record, event in readable])
        except Exception as error:
            if is_retriable(error):
                raise
            # Refused for good: one by one, so only the batch the store refuses is set aside.
            outcomes = []
            for record, event in readable:
                try:
                    outcomes.extend(await self._store([event]))
                except Exception as single:
                    if is_retriable(single):
                        raise
                    log.error("events from %s could not be stored: %r", event.data.cluster, single)
                    await self._reject(record, dlq, "unstorable", repr(single))
                    outcomes.append(None)
        stored = self._events.ctx.clock()
        for (_record, event), outcome in zip(readable, outcomes, strict=True):
            if outcome is Outcome.INGESTED:
                self._metrics.reports_ingested.labels(type=KIND).inc()
                lag = ingest_lag_seconds(event.data.time, stored)
                self._metrics.report_ingest_lag.labels(type=KIND).observe(lag)
            elif outcome is Outcome.UNKNOWN_CLUSTER:
                self._metrics.reports_skipped.labels(reason=outcome.value).inc()

    async def _store(self, events: list[KubeEventsEvent]) -> list[Outcome | None]:
        async for attempt in retrying(f"storing {len(events)} event batch(es)", give_up_after=None):
            with attempt:
                return list(await self._events.ingest_all(events))
        raise AssertionError("retrying never gives up")

    async def _reject(
        self, record: ConsumerRecord[bytes, bytes], dlq: AIOKafkaProducer, reason: str, detail: str
    ) -> None:
        self._metrics.reports_rejected.labels(reason=reason).inc()
        await dead_letter(dlq, record, reason, detail, consumer=self._group)
