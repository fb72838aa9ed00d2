"""Desired-state records: the Kafka record (topic, key, value) a planned change becomes. Pure: the
event's id and time are fixed here, before the commit, so a re-send after a crash is byte-identical."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.placements import Change
from schemas.v1 import Bundle, BundleEvent, Removal, RemovalEvent, encode
from schemas.v1.topics import desired_key, desired_topic

SOURCE = "hub"


@dataclass(frozen=True)
class Record:
    topic: str
    key: bytes | None
    value: bytes | None


def desired_record(change: Change, manifests: list[dict[str, Any]] | None, now: datetime) -> Record:
    """`manifests` are the release's objects; a removal needs none."""
    event: BundleEvent | RemovalEvent
    if change.kind == "bundle":
        if manifests is None:
            raise ValueError(f"bundle for {change.application} on {change.cluster} without manifests")
        bundle = Bundle.build(change.application, change.revision, change.generation, manifests)
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
