"""Which Kubernetes Events the spoke forwards, and how many. Pure: explicit clocks, no I/O.

An Event (core/v1 or events.k8s.io/v1: the same objects, two shapes) is forwarded when the object it
is about (involvedObject / regarding) is one an application manages, or is owned by one
(spoke/kubeevents/owners.py); Warnings always, Normal ones only when configured. The cluster updates
an Event in place as it recurs (count / series.count), so one occurrence is identified by (uid, count):
a relist or a repeated watch event is not sent twice.
Each application has a token bucket (a rate and a burst) and a batch holds at most
MAX_EVENTS_PER_BATCH; what does not fit is counted as `dropped` and said in the next batch.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from schemas.v1 import ObjectRef
from schemas.v1.kubeevents import MAX_EVENT_MESSAGE, MAX_EVENTS_PER_BATCH, EventType, KubeEvent
from spoke.objects import bounded, timestamp

ApplicationOf = Callable[[ObjectRef], str | None]
Occurrence = tuple[str, int]  # (the Event's uid, its count)


@dataclass(frozen=True)
class Selected:
    application: str
    occurrence: Occurrence
    event: KubeEvent


def _ref(subject: Mapping[str, Any]) -> ObjectRef | None:
    kind, name = subject.get("kind"), subject.get("name")
    if not kind or not name:
        return None
    return ObjectRef(
        api_version=str(subject.get("apiVersion") or "v1"),
        kind=str(kind),
        name=str(name),
        namespace=subject.get("namespace") or None,
    )


def _new_api(raw: Mapping[str, Any]) -> bool:
    return "regarding" in raw or str(raw.get("apiVersion", "")).startswith("events.k8s.io/")


def _subject(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    subject = (raw.get("regarding") if _new_api(raw) else raw.get("involvedObject")) or {}
    return subject if isinstance(subject, Mapping) else {}


def subject_uid(raw: Mapping[str, Any]) -> str | None:
    """The uid of the object the Event is about, when the reporter said it (kubelet and controllers do)."""
    uid = _subject(raw).get("uid")
    return str(uid) if uid else None


def kube_event_of(raw: Mapping[str, Any]) -> tuple[Occurrence, KubeEvent] | None:
    """The KubeEvent an Event object describes (either API's shape); None if it says too little."""
    new_api = _new_api(raw)
    subject = _subject(raw)
    ref = _ref(subject)
    event_type: EventType = "Warning" if raw.get("type") == "Warning" else "Normal"
    if ref is None or raw.get("type") not in (None, "", "Normal", "Warning"):
        return None
    series = raw.get("series") or {}
    if new_api:
        message = raw.get("note") or ""
        count = series.get("count") or raw.get("deprecatedCount") or 1
        first = timestamp(raw.get("deprecatedFirstTimestamp")) or timestamp(raw.get("eventTime"))
        last = (
            timestamp(series.get("lastObservedTime"))
            or timestamp(raw.get("deprecatedLastTimestamp"))
            or timestamp(raw.get("eventTime"))
        )
        source = raw.get("reportingController") or (raw.get("deprecatedSource") or {}).get("component") or ""
    else:
        message = raw.get("message") or ""
        count = series.get("count") or raw.get("count") or 1
        first = timestamp(raw.get("firstTimestamp")) or timestamp(raw.get("eventTime"))
        last = (
            timestamp(series.get("lastObservedTime"))
            or timestamp(raw.get("lastTimestamp"))
            or timestamp(raw.get("eventTime"))
        )
        source = (raw.get("source") or {}).get("component") or raw.get("reportingComponent") or ""
    metadata = raw.get("metadata") or {}
    last = last or timestamp(metadata.get("creationTimestamp"))
    if last is None:
        return None
    uid = str(metadata.get("uid") or f"{metadata.get('namespace')}/{metadata.get('name')}")
    try:
        event = KubeEvent(
            object=ref,
            type=event_type,
            reason=bounded(str(raw.get("reason") or "Unknown"), 128),
            message=bounded(str(message), MAX_EVENT_MESSAGE),
            count=max(1, int(count)),
            first_time=first,
            last_time=last,
            source=bounded(str(source), 253),
        )
    except (ValidationError, ValueError, TypeError):
        return None
    return (uid, event.count), event


def candidate(raw: Mapping[str, Any], forward_normal: bool) -> tuple[Occurrence, KubeEvent] | None:
    """The event if it is of a wanted type, whoever its object belongs to."""
    found = kube_event_of(raw)
    if found is None or (found[1].type == "Normal" and not forward_normal):
        return None
    return found


def attributed(occurrence: Occurrence, event: KubeEvent, application: str, owner: ObjectRef | None) -> Selected:
    """The event to forward for `application`, saying which managed object owns its object (if not itself)."""
    return Selected(application, occurrence, event if owner is None else event.model_copy(update={"owner": owner}))


def select(raw: Mapping[str, Any], application_of: ApplicationOf, forward_normal: bool) -> Selected | None:
    """The event to forward, and for which application, when its own object is managed; None: not one of
    ours (the forwarder may still find a managed owner, spoke/kubeevents/owners.py), or not wanted."""
    found = candidate(raw, forward_normal)
    if found is None:
        return None
    occurrence, event = found
    application = application_of(event.object)
    if application is None:
        return None
    return Selected(application, occurrence, event)


class Seen:
    """The occurrences forwarded lately (bounded, oldest forgotten first)."""

    def __init__(self, most: int = 10_000) -> None:
        self.most = most
        self._seen: OrderedDict[Occurrence, None] = OrderedDict()

    def __contains__(self, occurrence: Occurrence) -> bool:
        return occurrence in self._seen

    def first_time(self, occurrence: Occurrence) -> bool:
        """True once per occurrence (as long as it is remembered)."""
        if occurrence in self._seen:
            self._seen.move_to_end(occurrence)
            return False
        self._seen[occurrence] = None
        if len(self._seen) > self.most:
            self._seen.popitem(last=False)
        return True


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """One token bucket per key: `rate` tokens a second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, now: float) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + max(0.0, now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True


@dataclass
class Pending:
    events: list[KubeEvent] = field(default_factory=list)
    dropped: int = 0


class Batches:
    """Events waiting to be sent, per application, within the rate limit and the batch cap."""

    def __init__(self, rate: float, burst: int, cap: int = MAX_EVENTS_PER_BATCH) -> None:
        self.buckets = TokenBuckets(rate, burst)
        self.cap = cap
        self._pending: dict[str, Pending] = {}

    def offer(self, selected: Selected, now: float) -> bool:
        """Queue it; False when it is dropped (and counted)."""
        pending = self._pending.setdefault(selected.application, Pending())
        if len(pending.events) >= self.cap or not self.buckets.take(selected.application, now):
            pending.dropped += 1
            return False
        pending.events.append(selected.event)
        return True

    def lost(self, application: str, count: int) -> None:
        """Events that were taken but could not be sent: said as dropped in the next batch."""
        self._pending.setdefault(application, Pending()).dropped += count

    def drain(self) -> dict[str, Pending]:
        """Everything to send now (applications with events or drops), and start afresh."""
        ready = {app: p for app, p in self._pending.items() if p.events or p.dropped}
        self._pending = {}
        return ready
