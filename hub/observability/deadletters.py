"""How many records the dead-letter topic holds now: per partition, its end offset minus its beginning
offset (retention moves the beginning), summed. Any writer counts, hub or spokes: this reads the topic,
not what this hub sent. Offsets only: no group, nothing assigned, no record fetched."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition

from hub.settings import HubSettings
from hub.topics import TopicManager
from schemas.kafka import consumer_kwargs, started
from schemas.v1.topics import DLQ_TOPIC

log = logging.getLogger(__name__)

# A list-offsets request waits for metadata; an unreachable broker must not hold up the other gauges.
_TIMEOUT_SECONDS = 10.0


def records_held(beginnings: Mapping[TopicPartition, int], ends: Mapping[TopicPartition, int]) -> int:
    return sum(max(0, end - beginnings.get(partition, 0)) for partition, end in ends.items())


class DeadLetterCounter:
    def __init__(self, settings: HubSettings, topics: TopicManager, topic: str = DLQ_TOPIC) -> None:
        self._settings = settings
        self._topics = topics
        self._topic = topic
        self._consumer: AIOKafkaConsumer | None = None

    async def _started(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                **consumer_kwargs(self._settings.kafka(), "dlq-count", enable_auto_commit=False, group_id=None)
            )
            self._consumer = await started(consumer)
        return self._consumer

    async def count(self) -> int | None:
        """Records on the topic now; None while the topic does not exist (yet)."""
        async with asyncio.timeout(_TIMEOUT_SECONDS):
            partitions = [TopicPartition(self._topic, p) for p in await self._topics.partitions(self._topic)]
            if not partitions:
                return None
            consumer = await self._started()
            try:
                beginnings = await consumer.beginning_offsets(partitions)
                ends = await consumer.end_offsets(partitions)
            except BaseException:
                # A fresh client next time: this one may be stuck on a broker that went away.
                await self.close()
                raise
        return records_held(beginnings, ends)

    async def close(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            with contextlib.suppress(Exception):
                await consumer.stop()
