"""What the hub's consumers of spoke-written topics share (the report consumer, the Kubernetes Events
consumer): a consumer group reading from the earliest offset, a dead-letter producer, offsets committed
after each batch is handled, transient failures retried with backoff and anything else restarting the
loop; and setting an unreadable record aside on the DLQ with the contract's headers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from hub.errors import retrying
from hub.settings import HubSettings
from schemas.kafka import consumer_kwargs, producer_kwargs
from schemas.v1.deadletters import dead_letter_headers
from schemas.v1.topics import COMPRESSION, DLQ_TOPIC

log = logging.getLogger(__name__)

Records = list[ConsumerRecord[bytes, bytes]]
Handle = Callable[[Records, AIOKafkaProducer], Awaitable[None]]


class GroupConsumer:
    """`handle(records, dlq)` every batch of `topics`, in consumer group `group`, until cancelled."""

    def __init__(
        self,
        settings: HubSettings,
        what: str,
        topics: Sequence[str],
        group: str,
        client: str,
        handle: Handle,
        topics_ready: asyncio.Event,
        *,
        max_records: int,
    ) -> None:
        self._settings = settings
        self._what = what
        self._topics = list(topics)
        self._group = group
        self._client = client
        self._handle = handle
        self._topics_ready = topics_ready
        self._max_records = max_records

    async def run(self) -> None:
        # Subscribing before the topics exist would leave the group without partitions until the next
        # metadata refresh (minutes): wait for the hub to have created them.
        await self._topics_ready.wait()
        while True:
            try:
                async for attempt in retrying(f"consuming {self._what}", give_up_after=None):
                    with attempt:
                        await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("consuming %s: unexpected failure; restarting", self._what)
                await asyncio.sleep(self._settings.relay_poll_interval_seconds)

    async def _consume(self) -> None:
        kafka = self._settings.kafka()
        consumer = AIOKafkaConsumer(
            *self._topics,
            **consumer_kwargs(
                kafka, self._client, group_id=self._group, enable_auto_commit=False, auto_offset_reset="earliest"
            ),
        )
        dlq = AIOKafkaProducer(
            **producer_kwargs(
                kafka,
                f"{self._client}-dlq",
                acks="all",
                enable_idempotence=True,
                compression_type=COMPRESSION,
                # A dead letter carries the record as it came: as big as a spoke may make one (its
                # max_record_bytes: by default this, the bundle limit plus room for headers).
                max_request_size=self._settings.max_bundle_bytes + 64 * 1024,
            )
        )
        try:
            await consumer.start()
            await dlq.start()
            log.info("consuming %s from %s", self._what, ", ".join(self._topics))
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=self._max_records)
                if batches:
                    await self._handle([r for records in batches.values() for r in records], dlq)
                    await consumer.commit()
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()
            with contextlib.suppress(Exception):
                await dlq.stop()


async def dead_letter(
    dlq: AIOKafkaProducer, record: ConsumerRecord[bytes, bytes], reason: str, detail: str, *, consumer: str
) -> None:
    """Set `record` aside on the DLQ as it came, with why and from where (schemas/v1/deadletters.py)."""
    log.warning(
        "unreadable record at %s[%d]@%d (%s): %s; sent to %s",
        record.topic,
        record.partition,
        record.offset,
        reason,
        detail,
        DLQ_TOPIC,
    )
    headers = dead_letter_headers(
        reason, detail, topic=record.topic, partition=record.partition, offset=record.offset, consumer=consumer
    )
    await dlq.send_and_wait(DLQ_TOPIC, record.value, key=record.key, headers=headers)
