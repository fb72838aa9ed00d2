"""The spoke's desired state: per application the newest Bundle or Removal it was told, and nothing else.

Pure: the consumer feeds it records, the reconciler reads it. `generation` (monotonic per cluster and
application) decides what is newer; `revision` is only reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from schemas.v1 import Bundle, Removal, WireError, decode_desired

Desired = Bundle | Removal


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"  # the very thing already held: a redelivery or a replay
    STALE = "stale"  # not newer than what is held


def interpret(key: bytes | None, value: bytes | None, cluster: str) -> tuple[str, Desired | None]:
    """One desired-topic record as (application, Bundle | Removal), or None for a tombstone.

    Raises WireError for anything the spoke cannot act on; the caller dead-letters it.
    """
    if not key:
        raise WireError("missing-key", "desired records are keyed by application id")
    try:
        application = key.decode()
    except UnicodeDecodeError as error:
        raise WireError("invalid-key", f"key is not UTF-8: {error}") from error
    if value is None:
        return application, None
    event = decode_desired(value)
    if event.cluster != cluster:
        raise WireError("wrong-cluster", f"event for cluster {event.cluster!r} on the topic of {cluster!r}")
    data: Desired = event.data
    if data.application != application:
        raise WireError("key-mismatch", f"key {application!r} carries application {data.application!r}")
    return application, data


def tombstone(application: str, held: Desired | None) -> Removal:
    """A null value uninstalls. It carries no generation: it is newer than whatever came before it on
    the partition, so it takes the held generation (0 when nothing is held, so any bundle beats it)."""
    if held is None:
        return Removal.model_construct(application=application, revision=0, generation=0, reason="deleted")
    return Removal.model_construct(
        application=application, revision=held.revision, generation=held.generation, reason="deleted"
    )


@dataclass
class DesiredStore:
    _held: dict[str, Desired] = field(default_factory=dict)

    def offer(self, application: str, desired: Desired | None) -> Verdict:
        """Take `desired` (None: tombstone) for `application` if it is newer than what is held."""
        held = self._held.get(application)
        if desired is None:
            if isinstance(held, Removal):
                return Verdict.DUPLICATE
            self._held[application] = tombstone(application, held)
            return Verdict.ACCEPTED
        if held is not None:
            if desired == held:
                return Verdict.DUPLICATE
            if desired.generation <= held.generation:
                return Verdict.STALE
        self._held[application] = desired
        return Verdict.ACCEPTED

    def get(self, application: str) -> Desired | None:
        return self._held.get(application)

    def applications(self) -> list[str]:
        return sorted(self._held)

    def installed(self) -> list[str]:
        return sorted(app for app, desired in self._held.items() if isinstance(desired, Bundle))
