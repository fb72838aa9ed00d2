"""The broker is a real Apache Kafka: topics, idempotent produce, group consume and commit work."""

from __future__ import annotations

import time
import uuid

from aiokafka.admin import NewTopic

from tests.integration.conftest import RunningFleet
from tests.kafka import new_admin, new_consumer, new_producer


async def test_round_trip_through_a_compacted_topic(local_fleet: RunningFleet) -> None:
    topic = f"test.roundtrip.{uuid.uuid4().hex[:8]}"
    admin = new_admin(local_fleet.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1, topic_configs={"cleanup.policy": "compact"})])
    finally:
        await admin.close()

    producer = new_producer(local_fleet.kafka_bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for index in range(3):
            await producer.send_and_wait(topic, f"v{index}".encode(), key=b"app")
        await producer.send_and_wait(topic, b"other", key=b"other-app")
    finally:
        await producer.stop()

    group = f"test-{uuid.uuid4().hex[:8]}"
    consumer = new_consumer(
        local_fleet.kafka_bootstrap,
        topic,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        received = []
        # A new group's first fetch waits for the group to form, which takes seconds on a busy machine:
        # poll until the records are in, with a deadline that is only a safety net.
        deadline = time.monotonic() + 120
        while len(received) < 4:
            assert time.monotonic() < deadline, f"not all records within 120 s; got {received}"
            batch = await consumer.getmany(timeout_ms=1_000)
            for records in batch.values():
                received += [(r.key, r.value) for r in records]
        await consumer.commit()
        (partition,) = consumer.assignment()
        committed = await consumer.committed(partition)
    finally:
        await consumer.stop()

    assert received == [(b"app", b"v0"), (b"app", b"v1"), (b"app", b"v2"), (b"other-app", b"other")]
    assert committed == 4
