from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from schemas import export
from schemas.v1 import (
    Bundle,
    BundleEvent,
    DryRunObject,
    DryRunReply,
    DryRunReplyEvent,
    DryRunRequest,
    DryRunRequestEvent,
    Health,
    Heartbeat,
    HeartbeatEvent,
    ObjectRef,
    ObjectStatus,
    Removal,
    RemovalEvent,
    StatusEvent,
    StatusReport,
    WireError,
    content_digest,
    decode_desired,
    decode_dry_run_reply,
    decode_dry_run_request,
    decode_report,
    encode,
    topics,
)

CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "web"}}


def bundle_event(**overrides: object) -> BundleEvent:
    bundle = Bundle.build("web", revision=3, generation=5, manifests=[CONFIGMAP])
    return BundleEvent(source="hub", cluster="cluster-1", data=bundle, **overrides)  # type: ignore[arg-type]


def test_bundle_round_trips_through_the_wire() -> None:
    event = bundle_event()
    decoded = decode_desired(encode(event))
    assert decoded == event
    assert isinstance(decoded, BundleEvent)
    assert decoded.data.digest == content_digest([CONFIGMAP])


def test_digest_is_independent_of_key_order() -> None:
    reordered = {"metadata": {"namespace": "web", "name": "cfg"}, "kind": "ConfigMap", "apiVersion": "v1"}
    assert content_digest([reordered]) == content_digest([CONFIGMAP])
    assert content_digest([CONFIGMAP]) != content_digest([{**CONFIGMAP, "data": {"a": "1"}}])


def test_a_bundle_whose_digest_does_not_match_is_rejected() -> None:
    raw = json.loads(encode(bundle_event()))
    raw["data"]["manifests"][0]["data"] = {"tampered": "yes"}
    with pytest.raises(WireError) as error:
        decode_desired(json.dumps(raw).encode())
    assert error.value.reason == "invalid"
    assert "does not match" in str(error.value)


def test_removal_round_trips() -> None:
    event = RemovalEvent(
        source="hub",
        cluster="cluster-2",
        data=Removal(application="web", revision=4, generation=9, reason="unselected"),
    )
    assert decode_desired(encode(event)) == event


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"{not json", "malformed-json"),
        (
            b'{"type": "fleetcast.bundle", "schema_version": "v9", "source": "hub", "cluster": "c"}',
            "unsupported",
        ),
        (b'{"type": "fleetcast.teleport", "source": "hub", "cluster": "c"}', "unsupported"),
        (b'{"type": "fleetcast.bundle", "source": "hub", "cluster": "c"}', "invalid"),
        (b'{"type": "fleetcast.bundle", "source": "hub", "cluster": "Not_A_Label", "data": {}}', "invalid"),
    ],
)
def test_unreadable_messages_say_why(value: bytes, reason: str) -> None:
    with pytest.raises(WireError) as error:
        decode_desired(value)
    assert error.value.reason == reason


def test_a_report_is_not_accepted_as_desired_state() -> None:
    heartbeat = HeartbeatEvent(
        source="spoke/c1",
        cluster="c1",
        data=Heartbeat(cluster="c1", agent_version="0.1.0", interval_seconds=10, time=datetime.now(UTC)),
    )
    with pytest.raises(WireError):
        decode_desired(encode(heartbeat))
    assert decode_report(encode(heartbeat)) == heartbeat


def test_status_report_round_trips_with_object_results() -> None:
    report = StatusReport(
        cluster="c1",
        application="web",
        observed_generation=5,
        observed_revision=3,
        last_applied_revision=2,
        last_attempted_revision=3,
        health=Health.DEGRADED,
        objects=[
            ObjectStatus(
                ref=ObjectRef(api_version="v1", kind="ConfigMap", name="cfg", namespace="web"),
                action="failed",
                health=Health.MISSING,
                error='ConfigMap "cfg" is invalid',
            )
        ],
        images=["nginx:1.27.3"],
        time=datetime.now(UTC),
    )
    event = StatusEvent(source="spoke/c1", cluster="c1", data=report)
    assert decode_report(encode(event)) == event
    assert str(report.objects[0].ref) == "ConfigMap/web/cfg"


def test_fields_from_a_newer_sender_are_ignored() -> None:
    raw = json.loads(encode(bundle_event()))
    raw["priority"] = "high"
    raw["data"]["signature"] = "abc"
    assert decode_desired(json.dumps(raw).encode()) == bundle_event(id=raw["id"], time=raw["time"])


def test_topic_names_and_keys() -> None:
    assert topics.desired_topic("cluster-1") == "fleetcast.v1.desired.cluster-1"
    assert topics.cluster_of_desired_topic("fleetcast.v1.desired.cluster-1") == "cluster-1"
    assert topics.cluster_of_desired_topic("fleetcast.v1.status") is None
    assert topics.status_key("cluster-1", "web") == b"cluster-1/web"
    with pytest.raises(ValueError):
        topics.desired_topic("Cluster_1")
    spec = topics.desired_topic_spec("c1")
    assert spec.partitions == 1
    assert spec.configs["cleanup.policy"] == "compact"


def test_json_schema_files_match_the_models() -> None:
    assert export.differences() == [], "run `python -m schemas.export` and commit the files"


def test_dry_run_request_and_reply_round_trip() -> None:
    request = DryRunRequest(
        request_id=uuid.uuid4(),
        application="web",
        manifests=[CONFIGMAP],
        deadline=datetime(2025, 1, 1, tzinfo=UTC),
    )
    event = DryRunRequestEvent(source="hub", cluster="cluster-1", data=request)
    assert decode_dry_run_request(encode(event)) == event
    reply = DryRunReply(
        request_id=request.request_id,
        cluster="cluster-1",
        application="web",
        objects=[
            DryRunObject(
                ref=ObjectRef(api_version="v1", kind="ConfigMap", name="cfg", namespace="web"),
                state="changed",
                diff="-a\n+b",
            )
        ],
        time=datetime(2025, 1, 1, tzinfo=UTC),
    )
    answer = DryRunReplyEvent(source="spoke/cluster-1", cluster="cluster-1", data=reply)
    assert decode_dry_run_reply(encode(answer)) == answer


def test_a_request_is_not_read_as_a_reply_nor_as_desired_state() -> None:
    request = DryRunRequest(
        request_id=uuid.uuid4(), application="web", manifests=[], deadline=datetime(2025, 1, 1, tzinfo=UTC)
    )
    raw = encode(DryRunRequestEvent(source="hub", cluster="cluster-1", data=request))
    with pytest.raises(WireError) as error:
        decode_dry_run_reply(raw)
    assert error.value.reason == "unsupported"
    with pytest.raises(WireError):
        decode_desired(raw)


def test_request_and_reply_topics_are_short_lived() -> None:
    assert topics.requests_topic("cluster-1") == "fleetcast.v1.requests.cluster-1"
    with pytest.raises(ValueError):
        topics.requests_topic("Cluster_1")
    spec = topics.requests_topic_spec("cluster-1")
    assert spec.partitions == 1 and spec.configs["cleanup.policy"] == "delete"
    replies = next(s for s in topics.shared_topic_specs() if s.name == topics.REPLIES_TOPIC)
    assert replies.configs["cleanup.policy"] == "delete"
    assert int(replies.configs["retention.ms"]) <= 3600 * 1000
