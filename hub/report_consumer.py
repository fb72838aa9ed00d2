"""The report consumer: status reports and heartbeats from every spoke, in consumer group
`fleetcast-hub`. Offsets are committed after a batch is stored, so a crash re-reads (and idempotently
re-stores) rather than loses. An unreadable report is logged, counted, sent to the DLQ with its reason,
and committed past: one bad message never stops the line."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from aiokafka import AIOKafkaProducer, ConsumerRecord

from hub.consuming import GroupConsumer, dead_letter
from hub.errors import is_retriable, retrying
from hub.ingest import check_report
from hub.metrics import HubMetrics
from hub.observability.gauges import ingest_lag_seconds
from hub.services.reports import Outcome, ReportService
from hub.settings import HubSettings
from schemas.v1 import HeartbeatEvent, StatusEvent, WireError, decode_report
from schemas.v1.topics import HEARTBEAT_TOPIC, STATUS_TOPIC

log = logging.getLogger(__name__)


class ReportConsumer:
    def __init__(
        self, settings: HubSettings, reports: ReportService, metrics: HubMetrics, topics_ready: asyncio.Event
    ) -> None:
        self._settings = settings
        self._reports = reports
        self._metrics = metrics
        self._topics_ready = topics_ready
        # The hub's clock (a test's ManualClock too): ingest lag is measured on it.
        self._clock = reports.ctx.clock

    async def run(self) -> None:
        await GroupConsumer(
            self._settings,
            "reports",
            [STATUS_TOPIC, HEARTBEAT_TOPIC],
            self._settings.report_group_id,
            "reports",
            self._handle,
            self._topics_ready,
            max_records=500,
        ).run()

    async def _handle(self, records: list[ConsumerRecord[bytes, bytes]], dlq: AIOKafkaProducer) -> None:
        """Store a batch in one transaction (a wave's reports arrive together: one commit and one wake
        of the rollout driver for all of them); if the store refuses it for good, one by one, so that
        only the report it refuses is set aside."""
        readable: list[tuple[ConsumerRecord[bytes, bytes], StatusEvent | HeartbeatEvent]] = []
        for record in records:
            if record.value is None:
                continue  # a tombstone on a compacted report topic: nothing to store
            try:
                event = decode_report(record.value)
                check_report(event)
            except WireError as error:
                await self._reject(record, dlq, error.reason, error.detail)
                continue
            readable.append((record, event))
        if not readable:
            return
        try:
            outcomes = await self._store([event for _record, event in readable])
        except Exception as error:
            if is_retriable(error) or len(readable) == 1:
                await self._unstorable(readable[0][0], readable[0][1], dlq, error)
                return
            for record, event in readable:
                try:
                    outcome = (await self._store([event]))[0]
                except Exception as single:
                    await self._unstorable(record, event, dlq, single)
                else:
                    self._count(event, outcome, self._clock())
            return
        stored = self._clock()
        for (_record, event), outcome in zip(readable, outcomes, strict=True):
            self._count(event, outcome, stored)

    async def _store(self, events: list[StatusEvent | HeartbeatEvent]) -> list[Outcome]:
        async for attempt in retrying(f"storing {len(events)} report(s)", give_up_after=None):
            with attempt:
                return await self._reports.ingest_all(events)
        raise AssertionError("retrying never gives up")

    async def _unstorable(
        self,
        record: ConsumerRecord[bytes, bytes],
        event: StatusEvent | HeartbeatEvent,
        dlq: AIOKafkaProducer,
        error: BaseException,
    ) -> None:
        if is_retriable(error):
            raise error
        # The store refuses this one report for good: set it aside rather than block the rest.
        log.error("%s report from %s could not be stored: %r", _kind(event), event.cluster, error)
        await self._reject(record, dlq, "unstorable", repr(error))

    def _count(self, event: StatusEvent | HeartbeatEvent, outcome: Outcome, stored: datetime) -> None:
        kind = _kind(event)
        if outcome is Outcome.INGESTED:
            self._metrics.reports_ingested.labels(type=kind).inc()
            self._metrics.report_ingest_lag.labels(type=kind).observe(ingest_lag_seconds(event.data.time, stored))
            return
        if outcome is Outcome.UNKNOWN_CLUSTER:
            log.info("skipping a %s report from unknown cluster %s", kind, event.cluster)
        self._metrics.reports_skipped.labels(reason=outcome.value).inc()

    async def _reject(
        self, record: ConsumerRecord[bytes, bytes], dlq: AIOKafkaProducer, reason: str, detail: str
    ) -> None:
        self._metrics.reports_rejected.labels(reason=reason).inc()
        await dead_letter(dlq, record, reason, detail, consumer=self._settings.report_group_id)


def _kind(event: StatusEvent | HeartbeatEvent) -> str:
    return "status" if isinstance(event, StatusEvent) else "heartbeat"
