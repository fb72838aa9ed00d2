"""Desired state sent by the hub to one cluster: a bundle (install or update) or a removal (uninstall)."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt, ValidationInfo, model_validator

from schemas.v1.drift import DriftPolicy
from schemas.v1.names import ApplicationId


def canonical_json(value: Any) -> bytes:
    """The one serialization digests are computed over: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def json_digest(value: Any) -> str:
    """sha256 over the canonical JSON of any value: the one way a digest of JSON is made."""
    return "sha256:" + hashlib.sha256(canonical_json(value)).hexdigest()


def content_digest(manifests: list[dict[str, Any]]) -> str:
    return json_digest(manifests)


# Validation context of Bundle.build: the digest was computed from the manifests, not received.
_DIGEST_COMPUTED = "digest-computed"


class _Wire(BaseModel):
    # Tolerant reader: fields added by a newer sender are ignored, not rejected.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Bundle(_Wire):
    """One application's rendered manifests for one cluster at one release revision."""

    application: ApplicationId
    revision: PositiveInt = Field(description="Release revision of the application (immutable).")
    generation: PositiveInt = Field(
        description=(
            "Monotonic per (cluster, application); grows with every desired-state change sent to this "
            "cluster for this application. A spoke ignores anything not newer than what it holds."
        )
    )
    manifests: list[dict[str, Any]] = Field(description="Kubernetes objects, in any order.")
    digest: str = Field(description="content_digest(manifests): sha256 over canonical JSON.")
    drift: DriftPolicy = Field(
        default_factory=DriftPolicy,
        description="What the spoke does when a live object drifts from these manifests (older hubs: correct).",
    )

    @model_validator(mode="after")
    def _digest_matches(self, info: ValidationInfo) -> Self:
        if isinstance(info.context, dict) and info.context.get(_DIGEST_COMPUTED):
            return self  # made by `build` from these very manifests
        expected = content_digest(self.manifests)
        if self.digest != expected:
            raise ValueError(f"digest {self.digest} does not match the manifests ({expected})")
        return self

    @classmethod
    def build(
        cls,
        application: str,
        revision: int,
        generation: int,
        manifests: list[dict[str, Any]],
        digest: str | None = None,
        drift: DriftPolicy | None = None,
    ) -> Bundle:
        """`digest`: content_digest(manifests) if the caller has it already (hashing a bundle of several MB
        takes a third of a second; the hub sends one application's bundle to many clusters)."""
        fields = {
            "application": application,
            "revision": revision,
            "generation": generation,
            "manifests": manifests,
            "digest": digest if digest is not None else content_digest(manifests),
            "drift": drift if drift is not None else DriftPolicy(),
        }
        return cls.model_validate(fields, context={_DIGEST_COMPUTED: True})


class Removal(_Wire):
    """Uninstall an application from the cluster: prune everything the spoke applied for it.

    Sent as an explicit record (which compaction keeps) rather than only a null value (which
    compaction drops after a day), so a spoke that was away for longer still learns of it.
    """

    application: ApplicationId
    revision: NonNegativeInt = Field(description="Last release revision of the application.")
    generation: PositiveInt
    reason: Literal["deleted", "unselected", "deregistered"]
