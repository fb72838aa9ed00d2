"""The spoke's view of Kafka: its own topics in (desired state, dry-run requests), reports and dead
letters out.

A cluster's own topics have one partition. Each is read by a consumer assigned that partition by hand
(no rebalancing to wait for: a cluster has one spoke) that uses its group only to commit how far it got.
The desired topic is compacted, so reading it from the start rebuilds the whole desired state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from schemas.kafka import consumer_kwargs, producer_kwargs
from schemas.v1 import WireError
from schemas.v1.deadletters import wire_error_headers
from schemas.v1.topics import COMPRESSION, DLQ_TOPIC, desired_topic
from spoke.settings import SpokeSettings

log = logging.getLogger(__name__)


def group_id(cluster: str) -> str:
    return f"fleetcast-spoke-{cluster}"


class ClusterTopic:
    """One of this cluster's one-partition topics, read by a consumer of its own (`client`, `group`);
    `offset_reset` applies while the group has no committed offset yet."""

    def __init__(
        self, settings: SpokeSettings, topic: str, *, client: str, group: str, offset_reset: str, waiting: str
    ) -> None:
        self.settings = settings
        self.topic = topic
        self.partition = TopicPartition(topic, 0)
        # What waits while the hub has not created the topic yet (for the log).
        self._waiting = waiting
        self.consumer = AIOKafkaConsumer(
            **consumer_kwargs(
                settings.kafka(),
                client,
                group_id=group,
                enable_auto_commit=False,
                auto_offset_reset=offset_reset,
                # A record carries a whole bundle (a desired state, a dry-run request).
                fetch_max_bytes=settings.fetch_max_bytes,
                max_partition_fetch_bytes=settings.fetch_max_bytes,
            )
        )

    async def start(self) -> None:
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()

    async def wait_for_topic(self) -> None:
        """The hub creates topics; until it has, there is nothing to do but wait (not-ready-yet)."""
        waited = False
        while self.topic not in await self.consumer.topics():
            if not waited:
                log.info("topic %s does not exist yet; %s", self.topic, self._waiting)
                waited = True
            await asyncio.sleep(self.settings.requeue_delay)
        if waited:
            log.info("topic %s exists now", self.topic)

    async def follow(self) -> None:
        """Assign the partition from the group's committed offset (or `offset_reset`), resolved now:
        from here on, nothing is missed."""
        self.consumer.assign([self.partition])
        await self.consumer.position(self.partition)

    async def position(self) -> int:
        return int(await self.consumer.position(self.partition))

    async def poll(self) -> list[ConsumerRecord[bytes, bytes]]:
        batches = await self.consumer.getmany(self.partition, timeout_ms=int(self.settings.poll_timeout * 1000))
        return list(batches.get(self.partition, []))

    async def commit(self, offset: int) -> None:
        """`offset` is the next record to read: everything before it has been handled."""
        await self.consumer.commit({self.partition: offset})


class DesiredTopic(ClusterTopic):
    def __init__(self, settings: SpokeSettings) -> None:
        super().__init__(
            settings,
            desired_topic(settings.cluster_id),
            client="desired",
            group=group_id(settings.cluster_id),
            offset_reset="earliest",
            waiting="waiting for the hub to create it",
        )

    async def rewind(self) -> int:
        """Assign the partition from its beginning; returns the end offset the bootstrap reads up to."""
        self.consumer.assign([self.partition])
        await self.consumer.seek_to_beginning(self.partition)
        ends = await self.consumer.end_offsets([self.partition])
        return int(ends[self.partition])

    async def lag(self) -> int | None:
        """Records between the position and the end of the partition as of the last fetch (None before
        the first fetch: the end is not known without asking the broker, and polling must stay cheap)."""
        end = self.consumer.highwater(self.partition)
        if end is None:
            return None
        return max(0, int(end) - await self.position())


class Producer:
    """Idempotent, acks=all: a report or dead letter is written once, durably, or the send fails."""

    def __init__(self, settings: SpokeSettings) -> None:
        self.settings = settings
        self.producer = AIOKafkaProducer(
            **producer_kwargs(
                settings.kafka(),
                "producer",
                acks="all",
                enable_idempotence=True,
                # As the topics store it (schemas/v1/topics.py): reports shrink several times over.
                compression_type=COMPRESSION,
                max_request_size=settings.max_record_bytes,
            )
        )

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def send(
        self, topic: str, key: bytes, value: bytes | None, headers: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        await self.producer.send_and_wait(topic, value, key=key, headers=list(headers) or None)

    async def dead_letter(self, record: ConsumerRecord[bytes, bytes], error: WireError) -> None:
        headers = wire_error_headers(
            error,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            cluster=self.settings.cluster_id,
        )
        await self.producer.send_and_wait(DLQ_TOPIC, record.value, key=record.key, headers=headers)
