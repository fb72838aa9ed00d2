"""The events consumer: Kubernetes Events batches from every spoke, on the events topic, in its own
consumer group (`<report group>-events`), so a flood of events never delays status reports. Offsets are
committed after a batch is stored (a crash re-reads, and the series upsert makes that harmless); an
unreadable record goes to the DLQ with its reason and is committed past."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from hub.errors import is_retriable, retrying
from hub.kubeevents.service import KubeEventService, Outcome
from hub.metrics import HubMetrics
from hub.observability.gauges import ingest_lag_seconds
from hub.settings import HubSettings
from schemas.kafka import consumer_kwargs, producer_kwargs
from schemas.v1 import KubeEventsEvent, WireError
from schemas.v1.deadletters import dead_letter_headers
from schemas.v1.envelope import decode_kube_events
from schemas.v1.topics import COMPRESSION, DLQ_TOPIC, EVENTS_TOPIC

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
        await self._topics_ready.wait()
        while True:
            try:
                async for attempt in retrying("consuming Kubernetes Events", give_up_after=None):
                    with attempt:
                        await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("events consumer: unexpected failure; restarting it")
                await asyncio.sleep(self._settings.relay_poll_interval_seconds)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            EVENTS_TOPIC,
            **consumer_kwargs(
                self._settings.kafka(),
                "events",
                group_id=self._group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
            ),
        )
        dlq = AIOKafkaProducer(
            **producer_kwargs(
                self._settings.kafka(),
                "events-dlq",
                acks="all",
                enable_idempotence=True,
                compression_type=COMPRESSION,
                max_request_size=self._settings.max_bundle_bytes + 64 * 1024,
            )
        )
        try:
            await consumer.start()
            await dlq.start()
            log.info("consuming Kubernetes Events from %s", EVENTS_TOPIC)
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=200)
                if batches:
                    await self._handle([r for records in batches.values() for r in records], dlq)
                    await consumer.commit()
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()
            with contextlib.suppress(Exception):
                await dlq.stop()

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
        log.warning(
            "unreadable events record at %s[%d]@%d (%s): %s; sent to %s",
            record.topic,
            record.partition,
            record.offset,
            reason,
            detail,
            DLQ_TOPIC,
        )
        self._metrics.reports_rejected.labels(reason=reason).inc()
        headers = dead_letter_headers(
            reason, detail, topic=record.topic, partition=record.partition, offset=record.offset, consumer=self._group
        )
        await dlq.send_and_wait(DLQ_TOPIC, record.value, key=record.key, headers=headers)
