"""Reading real topics in tests: every record from the start up to the current end, without a group."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from schemas.kafka import KafkaClientSettings, admin_kwargs, consumer_kwargs, producer_kwargs


def client_settings(bootstrap: str) -> KafkaClientSettings:
    """Tests connect as the hub and spokes do (schemas/kafka.py), under their own client id."""
    return KafkaClientSettings(bootstrap=bootstrap, client_id="fleetcast-test")


def new_consumer(bootstrap: str, *topics: str, **options: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topics, **consumer_kwargs(client_settings(bootstrap), "consumer", **options))


def new_producer(bootstrap: str, **options: Any) -> AIOKafkaProducer:
    return AIOKafkaProducer(**producer_kwargs(client_settings(bootstrap), "producer", **options))


def new_admin(bootstrap: str, **options: Any) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**admin_kwargs(client_settings(bootstrap), "admin", **options))


@dataclass(frozen=True)
class Record:
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]
    offset: int
    timestamp: int  # milliseconds, as the producer set it


async def partitions_of(bootstrap: str, topic: str) -> list[int]:
    """The topic's partitions, [] if it does not exist. (A consumer's partitions_for_topic only knows
    topics its client already tracks.)"""
    admin = new_admin(bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described.get("error_code"):
        return []
    return sorted(p["partition"] for p in described["partitions"])


@asynccontextmanager
async def _from_start(
    bootstrap: str, topic: str, partitions: list[int]
) -> AsyncIterator[tuple[AIOKafkaConsumer, list[TopicPartition]]]:
    """A consumer without a group, assigned every partition and positioned at the start."""
    consumer = new_consumer(bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        assigned = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        yield consumer, assigned
    finally:
        await consumer.stop()


def _record(m: Any) -> Record:
    return Record(m.key, m.value, dict(m.headers or ()), m.offset, m.timestamp)


async def read_all_async(bootstrap: str, topic: str) -> list[Record]:
    partitions = await partitions_of(bootstrap, topic)
    if not partitions:
        return []
    async with _from_start(bootstrap, topic, partitions) as (consumer, assigned):
        ends = await consumer.end_offsets(assigned)
        records: list[Record] = []
        while [tp for tp in assigned if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(*assigned, timeout_ms=2000)
            for messages in batch.values():
                records += [_record(m) for m in messages]
        return records


async def first_record(
    bootstrap: str, topic: str, matches: Callable[[Record], bool], timeout: float = 60.0, what: str = "record"
) -> Record:
    """Read `topic` from its start, waiting for new records, until one `matches`."""
    deadline = time.monotonic() + timeout
    partitions = await partitions_of(bootstrap, topic)
    while not partitions and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        partitions = await partitions_of(bootstrap, topic)
    async with _from_start(bootstrap, topic, partitions) as (consumer, assigned):
        while time.monotonic() < deadline:
            for messages in (await consumer.getmany(*assigned, timeout_ms=500)).values():
                for m in messages:
                    if matches(record := _record(m)):
                        return record
    raise AssertionError(f"no {what} on {topic} within {timeout:.0f}s")


def read_all(bootstrap: str, topic: str) -> list[Record]:
    return asyncio.run(read_all_async(bootstrap, topic))


def produce(bootstrap: str, topic: str, key: bytes, value: bytes | None) -> None:
    async def go() -> None:
        producer = new_producer(bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            await producer.send_and_wait(topic, value, key=key)
        finally:
            await producer.stop()

    asyncio.run(go())


async def topic_configs(bootstrap: str, topic: str) -> dict[str, str]:
    """The topic's effective configs (its own overrides and the broker's defaults), as the broker says."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    admin = new_admin(bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    ((code, message, _type, _name, entries),) = described.resources
    assert not code, f"describing {topic}: {message}"
    return {entry[0]: entry[1] for entry in entries}
