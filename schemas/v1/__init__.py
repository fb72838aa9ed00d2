"""Version 1 of the wire contract."""

from schemas.v1.desired import Bundle, Removal, canonical_json, content_digest
from schemas.v1.envelope import (
    SCHEMA_VERSION,
    BundleEvent,
    DesiredEvent,
    Event,
    HeartbeatEvent,
    RemovalEvent,
    ReportEvent,
    StatusEvent,
    WireError,
    decode_desired,
    decode_report,
    encode,
)
from schemas.v1.names import ApplicationId, ClusterId, is_dns_label
from schemas.v1.reports import (
    ContainerType,
    Health,
    Heartbeat,
    ObjectAction,
    ObjectRef,
    ObjectStatus,
    RunningImage,
    StatusReport,
)

__all__ = [
    "SCHEMA_VERSION",
    "ApplicationId",
    "Bundle",
    "BundleEvent",
    "ClusterId",
    "ContainerType",
    "DesiredEvent",
    "Event",
    "Health",
    "Heartbeat",
    "HeartbeatEvent",
    "ObjectAction",
    "ObjectRef",
    "ObjectStatus",
    "Removal",
    "RemovalEvent",
    "ReportEvent",
    "RunningImage",
    "StatusEvent",
    "StatusReport",
    "WireError",
    "canonical_json",
    "content_digest",
    "decode_desired",
    "decode_report",
    "encode",
    "is_dns_label",
]
