from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.desired import desired_record
from hub.errors import is_retriable
from hub.ingest import check_report, seen_at, status_is_stale
from hub.placements import Change
from hub.relay import topic_spec
from schemas.v1 import (
    BundleEvent,
    Health,
    Heartbeat,
    HeartbeatEvent,
    RemovalEvent,
    StatusEvent,
    StatusReport,
    WireError,
    decode_desired,
)
from schemas.v1.topics import STATUS_TOPIC

NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}}


def test_bundle_and_removal_records() -> None:
    record = desired_record(Change("c1", "web", 4, 2, "bundle"), [CM], NOW)
    assert (record.topic, record.key) == ("fleetcast.v1.desired.c1", b"web")
    event = decode_desired(record.value or b"")
    assert isinstance(event, BundleEvent)
    assert (event.cluster, event.data.generation, event.data.revision, event.data.manifests) == ("c1", 4, 2, [CM])
    assert event.time == NOW

    removal = decode_desired(desired_record(Change("c1", "web", 5, 2, "removal", "unselected"), None, NOW).value or b"")
    assert isinstance(removal, RemovalEvent)
    assert (removal.data.generation, removal.data.reason) == (5, "unselected")


def test_status_staleness_by_generation_then_time() -> None:
    assert status_is_stale(5, NOW, 4, NOW + timedelta(hours=1))
    assert status_is_stale(5, NOW, 5, NOW - timedelta(seconds=1))
    assert not status_is_stale(5, NOW, 5, NOW)  # a duplicate: harmless to store again
    assert not status_is_stale(5, NOW, 6, NOW - timedelta(hours=1))
    assert not status_is_stale(5, NOW, 5, (NOW + timedelta(seconds=1)).replace(tzinfo=None))


def test_last_seen_never_in_the_future() -> None:
    assert seen_at(NOW + timedelta(minutes=5), NOW) == NOW
    assert seen_at(NOW - timedelta(seconds=3), NOW) == NOW - timedelta(seconds=3)


def test_a_report_about_another_cluster_is_refused() -> None:
    heartbeat = Heartbeat(cluster="c2", agent_version="1", interval_seconds=5, time=NOW)
    with pytest.raises(WireError) as caught:
        check_report(HeartbeatEvent(source="spoke/c1", cluster="c1", data=heartbeat))
    assert caught.value.reason == "cluster-mismatch"
    status = StatusReport(
        cluster="c1", application="web", observed_generation=1, observed_revision=1, health=Health.READY, time=NOW
    )
    check_report(StatusEvent(source="spoke/c1", cluster="c1", data=status))


def test_retriable_versus_terminal() -> None:
    from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError, NotLeaderForPartitionError
    from sqlalchemy.exc import IntegrityError, OperationalError

    assert is_retriable(KafkaConnectionError())
    assert is_retriable(NotLeaderForPartitionError())
    assert is_retriable(OperationalError("x", {}, Exception("database is locked")))
    assert is_retriable(TimeoutError())
    assert not is_retriable(MessageSizeTooLargeError())
    assert not is_retriable(IntegrityError("x", {}, Exception("unique")))
    assert not is_retriable(ValueError())


def test_topic_specs_for_outbox_topics() -> None:
    spec = topic_spec("fleetcast.v1.desired.c1", 1)
    assert spec is not None and spec.partitions == 1 and spec.configs["cleanup.policy"] == "compact"
    assert topic_spec(STATUS_TOPIC, 3) is not None
    assert topic_spec("something.else", 1) is None
