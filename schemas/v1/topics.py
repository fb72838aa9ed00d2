"""Kafka topics and message keys of the v1 contract: the one place their names are spelled.

    fleetcast.v1.desired.<cluster>  compacted, 1 partition, key = application id
                                    value = bundle or removal event (null = removal too)
    fleetcast.v1.status             compacted, key = "<cluster>/<application>", value = status event
    fleetcast.v1.heartbeat          compacted, key = cluster id, value = heartbeat event
    fleetcast.v1.events             delete (7 days), key = cluster id: notable happenings, for people
                                    (Kubernetes Events of managed objects, schemas/v1/kubeevents.py)
    fleetcast.v1.dlq                delete (14 days), key = original key: what could not be read, and why
    fleetcast.v1.requests.<cluster> delete (1 hour), 1 partition, key = application id
                                    value = dry-run request event (live diff preview)
    fleetcast.v1.replies            delete (1 hour), key = request id, value = dry-run reply event

One partition per desired topic keeps a cluster's events in order; compaction keeps the latest event
per application, so a spoke rebuilds its whole desired state by reading its topic from the start.

Requests and replies are ephemeral (each carries a deadline of seconds): short retention, no compaction,
never read from the start.

Every topic stores zstd-compressed batches (`compression.type`), and producers compress with zstd too, so
the broker keeps their batches as they come. A desired topic's `max.message.bytes` is the hub's limit on
one desired-state record *as compressed*: the hub checks exactly that at its API.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.v1.names import is_dns_label

PREFIX = "fleetcast.v1"
DESIRED_PREFIX = f"{PREFIX}.desired."
STATUS_TOPIC = f"{PREFIX}.status"
HEARTBEAT_TOPIC = f"{PREFIX}.heartbeat"
EVENTS_TOPIC = f"{PREFIX}.events"
DLQ_TOPIC = f"{PREFIX}.dlq"
REQUESTS_PREFIX = f"{PREFIX}.requests."
REPLIES_TOPIC = f"{PREFIX}.replies"

_DAY_MS = 24 * 3600 * 1000
_HOUR_MS = 3600 * 1000

# zstd: on a bundle of real CRDs (prometheus-operator's, 2.8 MB as JSON) it makes 28x in 2 ms where gzip
# makes 8.5x in 64 ms, lz4 5.7x and snappy 3.7x (docs/benchmarks.md). aiokafka needs cramjam for it.
COMPRESSION = "zstd"
# The largest desired-state record the broker takes, as compressed (Kafka's own default is 1048588);
# the hub creates desired topics with its configured value (FLEETCAST_HUB_MAX_MESSAGE_BYTES).
DEFAULT_MAX_MESSAGE_BYTES = 1_000_000
# A dead letter is a record as it came plus headers saying why: room for a desired record of up to
# this much (compressed) that a spoke could not read.
DLQ_MAX_MESSAGE_BYTES = 8 * 1024 * 1024


def desired_topic(cluster: str) -> str:
    if not is_dns_label(cluster):
        raise ValueError(f"not a valid cluster id: {cluster!r}")
    return f"{DESIRED_PREFIX}{cluster}"


def cluster_of_desired_topic(topic: str) -> str | None:
    if not topic.startswith(DESIRED_PREFIX):
        return None
    cluster = topic[len(DESIRED_PREFIX) :]
    return cluster if is_dns_label(cluster) else None


def requests_topic(cluster: str) -> str:
    if not is_dns_label(cluster):
        raise ValueError(f"not a valid cluster id: {cluster!r}")
    return f"{REQUESTS_PREFIX}{cluster}"


def request_key(application: str) -> bytes:
    return application.encode()


def reply_key(request_id: str) -> bytes:
    return request_id.encode()


def desired_key(application: str) -> bytes:
    return application.encode()


def status_key(cluster: str, application: str) -> bytes:
    return f"{cluster}/{application}".encode()


def heartbeat_key(cluster: str) -> bytes:
    return cluster.encode()


def events_key(cluster: str) -> bytes:
    return cluster.encode()


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    configs: dict[str, str] = field(default_factory=dict)


def _compacted() -> dict[str, str]:
    # Tombstones stay a day so a spoke that was briefly away still sees them; removals are also sent
    # as explicit records, which compaction keeps, so a longer absence loses nothing either.
    return {
        "cleanup.policy": "compact",
        "delete.retention.ms": str(_DAY_MS),
        "min.compaction.lag.ms": "0",
        "segment.ms": str(_DAY_MS),
    }


def _ephemeral() -> dict[str, str]:
    # Deleted after an hour (a segment rolls every hour, so retention can act): a request is answered
    # in seconds or never; nobody reads these from the start.
    return {"cleanup.policy": "delete", "retention.ms": str(_HOUR_MS), "segment.ms": str(_HOUR_MS)}


def _compressed(max_message_bytes: int | None = None) -> dict[str, str]:
    configs = {"compression.type": COMPRESSION}
    if max_message_bytes is not None:
        configs["max.message.bytes"] = str(max_message_bytes)
    return configs


def desired_topic_spec(cluster: str, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> TopicSpec:
    return TopicSpec(desired_topic(cluster), partitions=1, configs=_compacted() | _compressed(max_message_bytes))


def requests_topic_spec(cluster: str, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> TopicSpec:
    # A request carries a whole bundle: the same limit as the desired topic's.
    return TopicSpec(requests_topic(cluster), partitions=1, configs=_ephemeral() | _compressed(max_message_bytes))


def shared_topic_specs(report_partitions: int = 1) -> list[TopicSpec]:
    return [
        TopicSpec(STATUS_TOPIC, report_partitions, _compacted() | _compressed()),
        TopicSpec(HEARTBEAT_TOPIC, report_partitions, _compacted() | _compressed()),
        TopicSpec(EVENTS_TOPIC, 1, {"cleanup.policy": "delete", "retention.ms": str(7 * _DAY_MS)} | _compressed()),
        TopicSpec(
            DLQ_TOPIC,
            1,
            {"cleanup.policy": "delete", "retention.ms": str(14 * _DAY_MS)} | _compressed(DLQ_MAX_MESSAGE_BYTES),
        ),
        TopicSpec(REPLIES_TOPIC, 1, _ephemeral() | _compressed()),
    ]
