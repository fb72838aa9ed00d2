"""Applications of several MB (big CRDs, as monitoring stacks ship) on the real broker: published
compressed, read back whole; refused at the API, with the limit named and nothing published, when one
record cannot hold them; and the size the hub computes is, to the byte, what the broker enforces."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import NewTopic
from aiokafka.errors import MessageSizeTooLargeError

from hub.desired import Record, batch_bytes, desired_record
from hub.manifests import parse_manifests
from hub.placements import Change
from hub.relay import producer_config
from hub.settings import HubSettings
from hub.topics import TopicManager
from schemas.v1.topics import STATUS_TOPIC, desired_topic, desired_topic_spec
from tests.crds import crds_of_size
from tests.integration.conftest import RunningFleet
from tests.integration.hub.conftest import RunningHub, desired_events, unique, wait_desired
from tests.kafka import client_settings, new_admin, topic_configs
from tests.waiting import eventually_async

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def monitoring_crds() -> str:
    """~4 MB of CRD YAML: four times the 1 MB a record could hold before compression."""
    return crds_of_size(4 * MIB, "monitoring.fleetcast.test")


async def register(hub: RunningHub, cluster: str) -> None:
    response = await hub.client.post("/api/v1/clusters", json={"id": cluster, "labels": {"big": "yes"}})
    assert response.status_code == 201, response.text


async def test_a_bundle_of_several_mb_is_published_compressed_and_read_back_whole(
    local_fleet: RunningFleet, running_hub: Any, monitoring_crds: str
) -> None:
    cluster, app = unique(), unique("app")
    async with running_hub() as hub:
        await register(hub, cluster)
        put = {"manifests": monitoring_crds, "selector": "big=yes"}
        response = await hub.client.put(f"/api/v1/applications/{app}", json=put)
        assert response.status_code == 201, response.text

        (event,) = await wait_desired(local_fleet.kafka_bootstrap, cluster, 1)
        assert event.data.application == app
        assert event.data.manifests == parse_manifests(monitoring_crds)
        assert event.data.digest == response.json()["digest"]

        # The topic stores zstd batches, and takes records up to the hub's limit (after compression).
        configs = await topic_configs(local_fleet.kafka_bootstrap, desired_topic(cluster))
        assert configs["compression.type"] == "zstd"
        assert configs["max.message.bytes"] == str(hub.settings.max_message_bytes)
        # The shared topics too.
        assert (await topic_configs(local_fleet.kafka_bootstrap, STATUS_TOPIC))["compression.type"] == "zstd"


async def test_too_big_even_compressed_is_refused_naming_the_limit_and_nothing_is_published(
    local_fleet: RunningFleet, running_hub: Any, monitoring_crds: str
) -> None:
    cluster, app = unique(), unique("app")
    # The ~4 MB of CRDs compress to ~170 KB: a limit of 100 KB is too small for them.
    async with running_hub(max_message_bytes=100_000) as hub:
        await register(hub, cluster)
        put = {"manifests": monitoring_crds, "selector": "big=yes"}
        response = await hub.client.put(f"/api/v1/applications/{app}", json=put)
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert f"application {app}, cluster {cluster}: the bundle is " in detail
        assert "more than the 100000 bytes a desired-state message may have after compression" in detail

        # Nothing stored, nothing queued, nothing published; the hub goes on working.
        assert await hub.outbox_counts() == (0, 0)
        assert (await hub.client.get(f"/api/v1/applications/{app}")).status_code == 404
        small = {"manifests": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"}}]}
        response = await hub.client.put(f"/api/v1/applications/{app}", json=put | small)
        assert response.status_code == 201, response.text
        await hub.drained()
        events = await desired_events(local_fleet.kafka_bootstrap, cluster)
        assert [e.data.revision for e in events] == [1]
        assert [m["kind"] for m in events[0].data.manifests] == ["ConfigMap"]  # type: ignore[union-attr]


async def test_too_big_before_compression_is_refused_naming_that_limit(
    local_fleet: RunningFleet, running_hub: Any, monitoring_crds: str
) -> None:
    cluster, app = unique(), unique("app")
    async with running_hub(max_bundle_bytes=2 * MIB) as hub:
        await register(hub, cluster)
        response = await hub.client.put(
            f"/api/v1/applications/{app}", json={"manifests": monitoring_crds, "selector": "big=yes"}
        )
        assert response.status_code == 422, response.text
        assert f"before compression, more than the {2 * MIB} bytes a bundle may have" in response.json()["detail"]
        assert await hub.outbox_counts() == (0, 0)


async def test_an_existing_topic_gets_the_configs_and_keeps_the_operators_own(
    local_fleet: RunningFleet, running_hub: Any
) -> None:
    cluster = unique()
    # As an older hub (or an operator) made it: compacted, no compression, no size limit of its own.
    admin = new_admin(local_fleet.kafka_bootstrap)
    await admin.start()
    try:
        configs = {"cleanup.policy": "compact", "retention.ms": "123456789"}
        await admin.create_topics([NewTopic(desired_topic(cluster), 1, 1, topic_configs=configs)])
    finally:
        await admin.close()

    async with running_hub(max_message_bytes=3_000_000) as hub:
        await register(hub, cluster)

        async def aligned() -> dict[str, str] | None:
            configs = await topic_configs(local_fleet.kafka_bootstrap, desired_topic(cluster))
            return configs if configs["compression.type"] == "zstd" else None

        configs = await eventually_async(aligned, 30, "the existing topic's configs aligned")
        assert configs["max.message.bytes"] == "3000000"
        assert configs["retention.ms"] == "123456789"
        assert configs["cleanup.policy"] == "compact"


def _crd_record(cluster: str) -> Record:
    manifests = parse_manifests(crds_of_size(2 * MIB, "exact.fleetcast.test"))
    return desired_record(Change(cluster, "exact", 1, 1, "bundle"), manifests, datetime.now(UTC))


@pytest.mark.parametrize("content", ["crds", "noise"])
async def test_the_broker_takes_exactly_what_the_hub_computes(local_fleet: RunningFleet, content: str) -> None:
    """The hub's topic specs and relay producer, on two topics: one whose limit is the record's batch
    size as the hub computes it, one a byte less. The broker takes the first and refuses the second."""
    settings = HubSettings(kafka_bootstrap=local_fleet.kafka_bootstrap)
    fits, too_small = unique("exact"), unique("exact")
    record = _crd_record(fits) if content == "crds" else Record("t", b"noise", os.urandom(1_500_000))
    size = batch_bytes(record)
    topics = TopicManager(client_settings(local_fleet.kafka_bootstrap), 1)
    try:
        await topics.ensure([desired_topic_spec(fits, size), desired_topic_spec(too_small, size - 1)])
    finally:
        await topics.close()

    producer = AIOKafkaProducer(**producer_config(settings) | {"client_id": f"exact-{uuid.uuid4().hex[:6]}"})
    await producer.start()
    try:
        sent = await producer.send_and_wait(desired_topic(fits), record.value, key=record.key)
        assert sent.offset == 0
        with pytest.raises(MessageSizeTooLargeError):
            await producer.send_and_wait(desired_topic(too_small), record.value, key=record.key)
    finally:
        await producer.stop()
