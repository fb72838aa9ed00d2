"""How big a desired-state record is as the broker sees it, and the topic configs that make it so."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.desired import Record, batch_bytes, desired_record, size_problem, zstd_bound
from hub.manifests import parse_manifests
from hub.placements import Change
from hub.relay import topic_spec
from hub.topics import ENFORCED_CONFIGS, config_update
from schemas.v1.topics import (
    COMPRESSION,
    DEFAULT_MAX_MESSAGE_BYTES,
    DLQ_MAX_MESSAGE_BYTES,
    desired_topic_spec,
    shared_topic_specs,
)
from tests.crds import crds_of_size

NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)
MIB = 1024 * 1024


def record(value: bytes) -> Record:
    return Record("fleetcast.v1.desired.c1", b"web", value)


@pytest.fixture(scope="module")
def big_crds() -> Record:
    """A ~3 MB application of CRDs, as the hub encodes it for one cluster."""
    manifests = parse_manifests(crds_of_size(3 * MIB, "sizes.fleetcast.test"))
    return desired_record(Change("c1", "monitoring", 1, 1, "bundle"), manifests, NOW)


def test_a_bundle_of_big_crds_fits_compressed(big_crds: Record) -> None:
    assert big_crds.value is not None and len(big_crds.value) > 2 * MIB
    compressed = batch_bytes(big_crds)
    assert compressed < len(big_crds.value) / 10
    assert size_problem(big_crds, max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES, max_bundle_bytes=32 * MIB) is None


def test_too_big_after_compression_names_the_sizes_and_the_limit(big_crds: Record) -> None:
    compressed = batch_bytes(big_crds)
    problem = size_problem(big_crds, max_message_bytes=compressed - 1, max_bundle_bytes=32 * MIB)
    assert problem is not None
    assert f"{compressed} compressed with zstd" in problem
    assert f"more than the {compressed - 1} bytes a desired-state message may have after compression" in problem
    assert "max.message.bytes" in problem and "FLEETCAST_HUB_MAX_MESSAGE_BYTES" in problem
    # To the byte: the same record fits a limit of exactly its compressed size.
    assert size_problem(big_crds, max_message_bytes=compressed, max_bundle_bytes=32 * MIB) is None


def test_too_big_before_compression(big_crds: Record) -> None:
    assert big_crds.value is not None
    problem = size_problem(big_crds, max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES, max_bundle_bytes=MIB)
    assert problem is not None
    assert f"is {len(big_crds.value)} bytes before compression, more than the {MIB} bytes" in problem
    assert "FLEETCAST_HUB_MAX_BUNDLE_BYTES" in problem


def test_incompressible_data_grows_a_little_and_is_judged_compressed() -> None:
    # aiokafka's compiled batch builder sends a batch compressed even when that made it bigger.
    noise = record(os.urandom(200_000))
    plain, compressed = batch_bytes(noise, None), batch_bytes(noise)
    assert plain < compressed <= zstd_bound(plain)
    assert size_problem(noise, max_message_bytes=plain, max_bundle_bytes=MIB) is not None
    assert size_problem(noise, max_message_bytes=compressed, max_bundle_bytes=MIB) is None


def test_removals_and_tombstones_always_fit() -> None:
    assert size_problem(Record("t", b"web", None), max_message_bytes=1024, max_bundle_bytes=1024) is None


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    length=st.integers(0, 300_000),
    repetitive=st.floats(0, 1),
    slack=st.integers(-2000, 2000),
)
def test_judged_exactly_on_the_compressed_batch(seed: int, length: int, repetitive: float, slack: int) -> None:
    """Whatever the data, the verdict is the compressed batch's size against the limit: the shortcut
    that skips compressing small records never lets through one that would not fit."""
    rng = random.Random(seed)
    unique = int(length * (1 - repetitive))
    value = rng.randbytes(unique) + b"a" * (length - unique)
    rec = record(value)
    compressed = batch_bytes(rec)
    assert compressed <= zstd_bound(batch_bytes(rec, None))
    limit = max(1024, compressed + slack)
    fits = size_problem(rec, max_message_bytes=limit, max_bundle_bytes=1_000_000) is None
    assert fits == (compressed <= limit)


def test_every_topic_is_stored_compressed_and_desired_topics_carry_the_hubs_limit() -> None:
    desired = desired_topic_spec("c1", 2_000_000)
    assert desired.configs["compression.type"] == COMPRESSION == "zstd"
    assert desired.configs["max.message.bytes"] == "2000000"
    assert desired_topic_spec("c1").configs["max.message.bytes"] == str(DEFAULT_MAX_MESSAGE_BYTES)
    assert topic_spec("fleetcast.v1.desired.c1", 1, 5000) == desired_topic_spec("c1", 5000)
    shared = {s.name: s for s in shared_topic_specs()}
    assert all(s.configs["compression.type"] == "zstd" for s in shared.values())
    assert shared["fleetcast.v1.dlq"].configs["max.message.bytes"] == str(DLQ_MAX_MESSAGE_BYTES)


def test_existing_topics_get_the_enforced_configs_and_keep_their_other_overrides() -> None:
    wanted = desired_topic_spec("c1", 2_000_000).configs
    assert set(ENFORCED_CONFIGS) <= set(wanted)
    # An older hub's topic: compaction set, no compression, no size override; an operator's retention.
    old = {"cleanup.policy": "compact", "retention.ms": "1000"}
    assert config_update(old, wanted) == {
        "cleanup.policy": "compact",
        "retention.ms": "1000",
        "compression.type": "zstd",
        "max.message.bytes": "2000000",
    }
    # Already right: nothing to write, whatever else differs (that is the operator's).
    aligned = {"compression.type": "zstd", "max.message.bytes": "2000000", "segment.ms": "5"}
    assert config_update(aligned, wanted) is None
    # A changed limit is written again.
    assert config_update(aligned, desired_topic_spec("c1", 3_000_000).configs) == aligned | {
        "max.message.bytes": "3000000"
    }
