"""Desired-state records: the Kafka record (topic, key, value) a planned change becomes, and whether the
broker will take it. Pure: the event's id and time are fixed here, before the commit, so a re-send after
a crash is byte-identical."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder

from hub.placements import Change
from schemas.v1 import Bundle, BundleEvent, Removal, RemovalEvent, encode
from schemas.v1.drift import DriftPolicy
from schemas.v1.topics import COMPRESSION, desired_key, desired_topic

SOURCE = "hub"


@dataclass(frozen=True)
class Record:
    topic: str
    key: bytes | None
    value: bytes | None


def desired_record(
    change: Change,
    manifests: list[dict[str, Any]] | None,
    now: datetime,
    digest: str | None = None,
    drift: DriftPolicy | None = None,
) -> Record:
    """`manifests` are the release's objects (`digest`: their content digest, if known; `drift`: its drift
    policy, None for the default); a removal needs none."""
    event: BundleEvent | RemovalEvent
    if change.kind == "bundle":
        if manifests is None:
            raise ValueError(f"bundle for {change.application} on {change.cluster} without manifests")
        bundle = Bundle.build(change.application, change.revision, change.generation, manifests, digest, drift)
        event = BundleEvent(source=SOURCE, cluster=change.cluster, time=now, data=bundle)
    else:
        assert change.reason is not None
        removal = Removal(
            application=change.application,
            revision=change.revision,
            generation=change.generation,
            reason=change.reason,
        )
        event = RemovalEvent(source=SOURCE, cluster=change.cluster, time=now, data=removal)
    return Record(desired_topic(change.cluster), desired_key(change.application), encode(event))


# aiokafka's codec ids in a record batch's attributes.
_CODECS = {
    "gzip": DefaultRecordBatch.CODEC_GZIP,
    "snappy": DefaultRecordBatch.CODEC_SNAPPY,
    "lz4": DefaultRecordBatch.CODEC_LZ4,
    "zstd": DefaultRecordBatch.CODEC_ZSTD,
}


def batch_bytes(record: Record, compression: str | None = COMPRESSION) -> int:
    """The size of the record batch that carries `record` alone, as the broker compares it with the
    topic's max.message.bytes: built by the same aiokafka code the relay's producer uses, compressed
    with `compression` unless that makes nothing smaller (the producer then sends it uncompressed).

    A record bigger than the producer's batch size always travels in a batch of its own (see
    hub/relay.py), so this is exact, to the byte, for every record that could be too large."""
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=_CODECS[compression] if compression else DefaultRecordBatch.CODEC_NONE,
        is_transactional=0,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=0,  # a batch's first record is always taken
    )
    builder.append(0, timestamp=0, key=record.key, value=record.value, headers=[])
    return len(builder.build())


def zstd_bound(size: int) -> int:
    """The most bytes zstd can make of `size` bytes (ZSTD_COMPRESSBOUND in zstd.h), plus room for the
    frame's header and checksum."""
    small = ((128 << 10) - size) >> 11 if size < (128 << 10) else 0
    return size + (size >> 8) + small + 64


def size_problem(record: Record, *, max_message_bytes: int, max_bundle_bytes: int) -> str | None:
    """Why the broker or the relay's producer would refuse `record`, or None when it fits.

    Two limits: `max_bundle_bytes` on the event as encoded (what the producer accepts and a spoke holds
    in memory) and `max_message_bytes` on its batch as compressed (the desired topic's max.message.bytes,
    which the broker checks). Compressing costs ~1 ms per MB, so it is done only when the batch might not
    fit: when even zstd's worst case (incompressible data grows a little) would."""
    if record.value is None:
        return None
    size = len(record.value)
    if size > max_bundle_bytes:
        return (
            f"the bundle is {size} bytes before compression, more than the {max_bundle_bytes} bytes a bundle may "
            "have (FLEETCAST_HUB_MAX_BUNDLE_BYTES)"
        )
    if zstd_bound(batch_bytes(record, None)) <= max_message_bytes:
        return None
    compressed = batch_bytes(record)
    if compressed <= max_message_bytes:
        return None
    return (
        f"the bundle is {size} bytes, {compressed} compressed with {COMPRESSION}: more than the "
        f"{max_message_bytes} bytes a desired-state message may have after compression (the desired topics' "
        "max.message.bytes, FLEETCAST_HUB_MAX_MESSAGE_BYTES)"
    )
