"""The report consumer: status reports and heartbeats from every spoke, in consumer group
`fleetcast-hub`. Offsets are committed after a batch is stored, so a crash re-reads (and idempotently
re-stores) rather than loses. An unreadable report is logged, counted, sent to the DLQ with its reason,
and committed past: one bad message never stops the line."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from hub.errors import is_retriable, retrying
from hub.ingest import check_report
from hub.metrics import HubMetrics
from hub.services.reports import Outcome, ReportService
from hub.settings import HubSettings
from schemas.v1 import StatusEvent, WireError, decode_report
from schemas.v1.topics import DLQ_TOPIC, HEARTBEAT_TOPIC, STATUS_TOPIC

log = logging.getLogger(__name__)


def dlq_headers(
    record: ConsumerRecord[bytes, bytes], reason: str, detail: str, consumer: str
) -> list[tuple[str, bytes]]:
    """Why, from where, and who rejected it: the consumer group, since several groups may read a topic."""
    return [
        ("reason", reason.encode()),
        ("detail", detail[:4000].encode()),
        ("source-topic", record.topic.encode()),
        ("source-partition", str(record.partition).encode()),
        ("source-offset", str(record.offset).encode()),
        ("consumer", consumer.encode()),
    ]


class ReportConsumer:
    def __init__(
        self, settings: HubSettings, reports: ReportService, metrics: HubMetrics, topics_ready: asyncio.Event
    ) -> None:
        self._settings = settings
        self._reports = reports
        self._metrics = metrics
        self._topics_ready = topics_ready

    async def run(self) -> None:
        # Subscribing before the topics exist would leave the group without partitions until the next
        # metadata refresh (minutes): wait for the hub to have created them.
        await self._topics_ready.wait()
        while True:
            try:
                async for attempt in retrying("consuming reports", give_up_after=None):
                    with attempt:
                        await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("report consumer: unexpected failure; restarting it")
                await asyncio.sleep(self._settings.relay_poll_interval_seconds)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            STATUS_TOPIC,
            HEARTBEAT_TOPIC,
            bootstrap_servers=self._settings.kafka_bootstrap,
            group_id=self._settings.report_group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        dlq = AIOKafkaProducer(bootstrap_servers=self._settings.kafka_bootstrap, acks="all", enable_idempotence=True)
        try:
            await consumer.start()
            await dlq.start()
            log.info("consuming reports from %s and %s", STATUS_TOPIC, HEARTBEAT_TOPIC)
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=500)
                for records in batches.values():
                    for record in records:
                        await self._handle(record, dlq)
                if batches:
                    await consumer.commit()
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()
            with contextlib.suppress(Exception):
                await dlq.stop()

    async def _handle(self, record: ConsumerRecord[bytes, bytes], dlq: AIOKafkaProducer) -> None:
        if record.value is None:
            return  # a tombstone on a compacted report topic: nothing to store
        try:
            event = decode_report(record.value)
            check_report(event)
        except WireError as error:
            await self._reject(record, dlq, error.reason, error.detail)
            return
        kind = "status" if isinstance(event, StatusEvent) else "heartbeat"
        try:
            async for attempt in retrying(f"storing a {kind} report", give_up_after=None):
                with attempt:
                    outcome = await self._reports.ingest(event)
        except Exception as error:
            if is_retriable(error):
                raise
            # The store refuses this one report for good: set it aside rather than block the rest.
            log.exception("%s report from %s could not be stored", kind, event.cluster)
            await self._reject(record, dlq, "unstorable", repr(error))
            return
        if outcome is Outcome.INGESTED:
            self._metrics.reports_ingested.labels(type=kind).inc()
        else:
            if outcome is Outcome.UNKNOWN_CLUSTER:
                log.info("skipping a %s report from unknown cluster %s", kind, event.cluster)
            self._metrics.reports_skipped.labels(reason=outcome.value).inc()

    async def _reject(
        self, record: ConsumerRecord[bytes, bytes], dlq: AIOKafkaProducer, reason: str, detail: str
    ) -> None:
        log.warning(
            "unreadable report at %s[%d]@%d (%s): %s; sent to %s",
            record.topic,
            record.partition,
            record.offset,
            reason,
            detail,
            DLQ_TOPIC,
        )
        self._metrics.reports_rejected.labels(reason=reason).inc()
        headers = dlq_headers(record, reason, detail, self._settings.report_group_id)
        await dlq.send_and_wait(DLQ_TOPIC, record.value, key=record.key, headers=headers)
