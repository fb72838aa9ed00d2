"""The outbox relay: publishes committed outbox records to Kafka in id order with an idempotent producer
(acks=all) and marks them sent.

Crash anywhere and nothing is lost: a record is marked sent only after the broker acknowledged it, so
the worst case is a re-send of records already acknowledged, with the same bytes and generation, which
spokes ignore. Only the acknowledged prefix of a batch is marked: re-sending a failed record after a
later one for the same application had gone out would leave the older generation last in the log,
which is what compaction would keep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer

from hub.errors import is_retriable, retrying
from hub.metrics import HubMetrics
from hub.services.context import ServiceContext
from hub.settings import HubSettings
from hub.store import models
from hub.store import outbox as queries
from hub.topics import TopicManager
from schemas.kafka import producer_kwargs, started
from schemas.v1.topics import (
    COMPRESSION,
    DEFAULT_MAX_MESSAGE_BYTES,
    TopicSpec,
    cluster_of_desired_topic,
    desired_topic_spec,
    shared_topic_specs,
)

log = logging.getLogger(__name__)

# Room for the key, headers and record overhead on top of the largest value the API lets in.
_RECORD_OVERHEAD_BYTES = 64 * 1024
# At most this much of record values read from the outbox at once (bundles may be MBs each).
_BATCH_VALUE_BYTES = 64 * 1024 * 1024
# aiokafka's default batch size. A record bigger than this travels in a batch of its own, which is what
# the API's size check computes (hub/desired.py batch_bytes); a batch of several records stays under it.
_BATCH_BYTES = 16 * 1024


def topic_spec(
    topic: str, report_partitions: int, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
) -> TopicSpec | None:
    cluster = cluster_of_desired_topic(topic)
    if cluster is not None:
        return desired_topic_spec(cluster, max_message_bytes)
    return next((s for s in shared_topic_specs(report_partitions) if s.name == topic), None)


def producer_config(settings: HubSettings) -> dict[str, Any]:
    """The relay's producer: idempotent, acks=all, and sized and compressed so that what the broker
    receives is exactly what the API checked (hub/desired.py size_problem)."""
    return producer_kwargs(
        settings.kafka(),
        "relay",
        acks="all",
        enable_idempotence=True,
        # As the topics store it: the broker keeps the batches as they come.
        compression_type=COMPRESSION,
        # aiokafka checks this against a record *before* compression: the API's uncompressed limit.
        max_request_size=settings.max_bundle_bytes + _RECORD_OVERHEAD_BYTES,
        # Small enough that a batch of several records always fits the topic's limit, even if compressing
        # them made them grow (incompressible data does, a little); a bigger record goes alone, in the very
        # batch the API checked.
        max_batch_size=min(_BATCH_BYTES, settings.max_message_bytes // 2),
        request_timeout_ms=30_000,
    )


class OutboxRelay:
    def __init__(self, ctx: ServiceContext, topics: TopicManager, metrics: HubMetrics) -> None:
        self._ctx = ctx
        self._settings = ctx.settings
        self._topics = topics
        self._metrics = metrics
        # Set after every commit that wrote outbox records: publish at once instead of at the next poll.
        self._signal = ctx.outbox_signal
        self._clock = ctx.clock
        self._producer: AIOKafkaProducer | None = None

    async def run(self) -> None:
        try:
            while True:
                # Cleared before reading: a commit from now on wakes the next wait, none is missed.
                self._signal.clear()
                try:
                    async for attempt in retrying("publishing the outbox", give_up_after=None):
                        with attempt:
                            await self._drain()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # Terminal failures of single records were set aside in _publish; this is something
                    # else (a bug, a database refusing). Keep the line moving at the poll pace.
                    log.exception("outbox relay: unexpected failure; trying again at the next poll")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._signal.wait(), timeout=self._settings.relay_poll_interval_seconds)
        finally:
            await self._close_producer()

    async def _drain(self) -> None:
        while True:
            async with self._ctx.reading() as session:
                rows = await queries.unsent(session, self._settings.relay_batch_size, _BATCH_VALUE_BYTES)
            if not rows:
                return
            await self._publish(rows)

    async def _producer_started(self) -> AIOKafkaProducer:
        if self._producer is None:
            self._producer = await started(AIOKafkaProducer(**producer_config(self._settings)))
        return self._producer

    async def _close_producer(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            try:
                await producer.stop()
            except Exception:
                log.debug("stopping the producer failed", exc_info=True)

    async def _publish(self, rows: Sequence[models.OutboxRecord]) -> None:
        specs = {
            spec.name: spec
            for row in rows
            if (spec := topic_spec(row.topic, self._settings.report_partitions, self._settings.max_message_bytes))
        }
        await self._topics.ensure(list(specs.values()), give_up_after=30.0)
        producer = await self._producer_started()

        acked: list[int] = []
        failure: BaseException | None = None
        pending: list[asyncio.Future[object]] = []
        try:
            for row in rows:
                pending.append(await producer.send(row.topic, row.value, key=row.key))
        except Exception as error:  # e.g. the producer stopped, or waiting for metadata timed out
            failure = error
        for row, future in zip(rows, pending, strict=False):
            if failure is not None:
                break
            try:
                await future
            except Exception as error:
                failure = error
                break
            acked.append(row.id)
            self._metrics.published.inc()
            self._metrics.publish_latency.observe(max(0.0, (self._clock() - row.created_at).total_seconds()))
        # Let records still in flight settle before the producer is stopped, whatever their outcome.
        await asyncio.gather(*pending, return_exceptions=True)

        now = self._clock()
        async with self._ctx.storing() as session:
            await queries.mark_sent(session, acked, now)
            if failure is not None and not is_retriable(failure):
                failed = rows[len(acked)]
                log.error("outbox record %d to %s refused for good, set aside: %r", failed.id, failed.topic, failure)
                await queries.mark_failed(session, failed.id, now, repr(failure))
                self._metrics.publish_failed.inc()
        if acked:
            log.debug("published %d outbox record(s) up to id %d", len(acked), acked[-1])
        if failure is not None:
            # A fresh producer (and producer id) after any failure: an idempotent producer whose
            # sequence went wrong would otherwise keep failing.
            await self._close_producer()
            if is_retriable(failure):
                raise failure
