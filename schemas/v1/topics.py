"""Kafka topics and message keys of the v1 contract: the one place their names are spelled.

    fleetcast.v1.desired.<cluster>  compacted, 1 partition, key = application id
                                    value = bundle or removal event (null = removal too)
    fleetcast.v1.status             compacted, key = "<cluster>/<application>", value = status event
    fleetcast.v1.heartbeat          compacted, key = cluster id, value = heartbeat event
    fleetcast.v1.events             delete (7 days), key = cluster id: notable happenings, for people
    fleetcast.v1.dlq                delete (14 days), key = original key: what could not be read, and why
    fleetcast.v1.requests.<cluster> delete (1 hour), 1 partition, key = application id
                                    value = dry-run request event (live diff preview)
    fleetcast.v1.replies            delete (1 hour), key = request id, value = dry-run reply event

One partition per desired topic keeps a cluster's events in order; compaction keeps the latest event
per application, so a spoke rebuilds its whole desired state by reading its topic from the start.

Requests and replies are ephemeral (each carries a deadline of seconds): short retention, no compaction,
never read from the start.
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


def desired_topic_spec(cluster: str) -> TopicSpec:
    return TopicSpec(desired_topic(cluster), partitions=1, configs=_compacted())


def requests_topic_spec(cluster: str) -> TopicSpec:
    return TopicSpec(requests_topic(cluster), partitions=1, configs=_ephemeral())


def shared_topic_specs(report_partitions: int = 1) -> list[TopicSpec]:
    return [
        TopicSpec(STATUS_TOPIC, report_partitions, _compacted()),
        TopicSpec(HEARTBEAT_TOPIC, report_partitions, _compacted()),
        TopicSpec(EVENTS_TOPIC, 1, {"cleanup.policy": "delete", "retention.ms": str(7 * _DAY_MS)}),
        TopicSpec(DLQ_TOPIC, 1, {"cleanup.policy": "delete", "retention.ms": str(14 * _DAY_MS)}),
        TopicSpec(REPLIES_TOPIC, 1, _ephemeral()),
    ]
