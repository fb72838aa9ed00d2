"""The event envelope every message travels in, and decoding that says exactly what is wrong."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Final, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from schemas.v1.desired import Bundle, Removal
from schemas.v1.dryruns import DryRunReply, DryRunRequest
from schemas.v1.kubeevents import KubeEventBatch
from schemas.v1.names import ClusterId
from schemas.v1.reports import Heartbeat, StatusReport

SCHEMA_VERSION: Final = "v1"

T = TypeVar("T")


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Unique per event; the same on a redelivery.")
    source: str = Field(description='Who sent it: "hub" or "spoke/<cluster>".')
    cluster: ClusterId = Field(description="The cluster the event is for or from.")
    time: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    schema_version: Literal["v1"] = SCHEMA_VERSION


class BundleEvent(_Envelope):
    type: Literal["fleetcast.bundle"] = "fleetcast.bundle"
    data: Bundle


class RemovalEvent(_Envelope):
    type: Literal["fleetcast.removal"] = "fleetcast.removal"
    data: Removal


class StatusEvent(_Envelope):
    type: Literal["fleetcast.status"] = "fleetcast.status"
    data: StatusReport


class HeartbeatEvent(_Envelope):
    type: Literal["fleetcast.heartbeat"] = "fleetcast.heartbeat"
    data: Heartbeat


class DryRunRequestEvent(_Envelope):
    """On the cluster's request topic: dry-run this bundle and answer on the reply topic."""

    type: Literal["fleetcast.dryrun.request"] = "fleetcast.dryrun.request"
    data: DryRunRequest


class DryRunReplyEvent(_Envelope):
    type: Literal["fleetcast.dryrun.reply"] = "fleetcast.dryrun.reply"
    data: DryRunReply


class KubeEventsEvent(_Envelope):
    """On the events topic: Kubernetes Events of one application's objects on one cluster."""

    type: Literal["fleetcast.kube-events"] = "fleetcast.kube-events"
    data: KubeEventBatch


DesiredEvent = Annotated[BundleEvent | RemovalEvent, Field(discriminator="type")]
ReportEvent = Annotated[StatusEvent | HeartbeatEvent, Field(discriminator="type")]
Event = Annotated[
    BundleEvent | RemovalEvent | StatusEvent | HeartbeatEvent | DryRunRequestEvent | DryRunReplyEvent | KubeEventsEvent,
    Field(discriminator="type"),
]
AnyEvent = (
    BundleEvent | RemovalEvent | StatusEvent | HeartbeatEvent | DryRunRequestEvent | DryRunReplyEvent | KubeEventsEvent
)

_DESIRED: TypeAdapter[BundleEvent | RemovalEvent] = TypeAdapter(DesiredEvent)
_REPORT: TypeAdapter[StatusEvent | HeartbeatEvent] = TypeAdapter(ReportEvent)
_DRY_RUN_REQUEST: TypeAdapter[DryRunRequestEvent] = TypeAdapter(DryRunRequestEvent)
_DRY_RUN_REPLY: TypeAdapter[DryRunReplyEvent] = TypeAdapter(DryRunReplyEvent)
_KUBE_EVENTS: TypeAdapter[KubeEventsEvent] = TypeAdapter(KubeEventsEvent)


class WireError(ValueError):
    """A message that cannot be read. `reason` is short and fit for a DLQ record and a metric label."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")


def encode(event: AnyEvent) -> bytes:
    return event.model_dump_json().encode()


def _decode(adapter: TypeAdapter[T], value: bytes) -> T:
    try:
        return adapter.validate_json(value)
    except ValidationError as error:
        errors = error.errors()
        if errors[0]["type"] == "json_invalid":
            raise WireError("malformed-json", errors[0]["msg"]) from error
        # A version or event type this reader does not know is a different problem from a broken
        # message of a known kind: it needs a newer reader, not a fixed sender.
        if any(
            e["type"] == "union_tag_invalid"
            or "schema_version" in e["loc"]
            or (e["loc"][:1] == ("type",) and e["type"] == "literal_error")
            for e in errors
        ):
            raise WireError("unsupported", _summary(error)) from error
        raise WireError("invalid", _summary(error)) from error


def _summary(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "(message)"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def decode_desired(value: bytes) -> BundleEvent | RemovalEvent:
    return _decode(_DESIRED, value)


def decode_report(value: bytes) -> StatusEvent | HeartbeatEvent:
    return _decode(_REPORT, value)


def decode_dry_run_request(value: bytes) -> DryRunRequestEvent:
    return _decode(_DRY_RUN_REQUEST, value)


def decode_dry_run_reply(value: bytes) -> DryRunReplyEvent:
    return _decode(_DRY_RUN_REPLY, value)


def decode_kube_events(value: bytes) -> KubeEventsEvent:
    return _decode(_KUBE_EVENTS, value)
