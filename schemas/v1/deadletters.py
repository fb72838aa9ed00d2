"""The dead-letter topic's headers: part of the wire contract, written by the hub and every spoke alike.

A dead letter keeps the unreadable record's key and value exactly as they came; its headers say why and
where from, so an operator (or a replay tool) can find the original and judge it:

    reason            a short machine-readable code (a WireError reason: malformed-json, unsupported, invalid,
                      missing-key, invalid-key, key-mismatch, wrong-cluster, ...)
    detail            human-readable explanation, UTF-8, at most MAX_DETAIL_BYTES bytes (cut on a character)
    source-topic      the topic the record was read from
    source-partition  its partition (decimal)
    source-offset     its offset (decimal)
    consumer          optional: the consumer group that rejected it (several groups may read one topic)
    cluster           optional: the cluster whose spoke rejected it

Additive only, like the rest of v1: new optional headers may come; readers ignore headers they do not know.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, NonNegativeInt

from schemas.v1.envelope import WireError

REASON = "reason"
DETAIL = "detail"
SOURCE_TOPIC = "source-topic"
SOURCE_PARTITION = "source-partition"
SOURCE_OFFSET = "source-offset"
CONSUMER = "consumer"
CLUSTER = "cluster"

MAX_DETAIL_BYTES = 4096

Headers = list[tuple[str, bytes]]


class DeadLetter(BaseModel):
    """What a dead letter's headers say."""

    model_config = ConfigDict(frozen=True)

    reason: str
    detail: str
    source_topic: str
    source_partition: NonNegativeInt
    source_offset: NonNegativeInt
    consumer: str | None = None
    cluster: str | None = None


def truncated(detail: str, limit: int = MAX_DETAIL_BYTES) -> bytes:
    """At most `limit` bytes of UTF-8, never half a character."""
    return detail.encode()[:limit].decode(errors="ignore").encode()


def dead_letter_headers(
    reason: str,
    detail: str,
    *,
    topic: str,
    partition: int,
    offset: int,
    consumer: str | None = None,
    cluster: str | None = None,
) -> Headers:
    headers: Headers = [
        (REASON, reason.encode()),
        (DETAIL, truncated(detail)),
        (SOURCE_TOPIC, topic.encode()),
        (SOURCE_PARTITION, str(partition).encode()),
        (SOURCE_OFFSET, str(offset).encode()),
    ]
    if consumer is not None:
        headers.append((CONSUMER, consumer.encode()))
    if cluster is not None:
        headers.append((CLUSTER, cluster.encode()))
    return headers


def wire_error_headers(
    error: WireError,
    *,
    topic: str,
    partition: int,
    offset: int,
    consumer: str | None = None,
    cluster: str | None = None,
) -> Headers:
    """The headers of a record that failed to decode with `error`."""
    return dead_letter_headers(
        error.reason, error.detail, topic=topic, partition=partition, offset=offset, consumer=consumer, cluster=cluster
    )


def parse_dead_letter_headers(headers: Sequence[tuple[str, bytes | None]]) -> DeadLetter:
    """Read a dead letter's headers; raises WireError("invalid", ...) naming what is missing or wrong."""
    values = {name: (value or b"").decode(errors="replace") for name, value in headers}
    missing = [name for name in (REASON, DETAIL, SOURCE_TOPIC, SOURCE_PARTITION, SOURCE_OFFSET) if name not in values]
    if missing:
        raise WireError("invalid", f"dead letter without header(s): {', '.join(missing)}")
    try:
        partition, offset = int(values[SOURCE_PARTITION]), int(values[SOURCE_OFFSET])
    except ValueError as error:
        raise WireError("invalid", f"dead letter with a non-numeric source partition or offset: {error}") from error
    if partition < 0 or offset < 0:
        raise WireError("invalid", "dead letter with a negative source partition or offset")
    return DeadLetter(
        reason=values[REASON],
        detail=values[DETAIL],
        source_topic=values[SOURCE_TOPIC],
        source_partition=partition,
        source_offset=offset,
        consumer=values.get(CONSUMER),
        cluster=values.get(CLUSTER),
    )
