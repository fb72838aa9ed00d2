"""Which opted-in applications an announced image version updates: pure.

An application moves to the announced version when it has a policy for the image whose constraint
allows the version, and every container running that image in its manifests runs an older version of
the same variant (`1.27.4-alpine` is followed only by `-alpine` tags). Never a downgrade, never a
change to a reference nobody can order (`latest`, a bare digest): those are skipped, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hub.autoupdate.spec import AutoUpdatePolicy
from hub.images.tags import ParsedTag
from hub.overrides.spec import ImageOverride
from hub.overrides.usage import ImageUse, image_uses


@dataclass(frozen=True)
class Candidate:
    application: str
    manifests: list[dict[str, Any]]  # as clusters get them
    policies: list[AutoUpdatePolicy]


@dataclass(frozen=True)
class Decision:
    application: str
    override: ImageOverride | None  # None: not updated (see reason)
    strategy: str | None  # the policy's (None: the application's own)
    reason: str
    found: list[str]


def _why_not(policy: AutoUpdatePolicy, uses: list[ImageUse], version: ParsedTag) -> str | None:
    """Why the application does not move to `version`; None: it does."""
    if not policy.parsed.allows(version.key):
        return f"{version.text} is outside the policy's constraint {policy.constraint}"
    if not uses:
        return "its manifests do not use the image"
    if any(u.version is None for u in uses):
        return "it runs a tag that is not a version or a bare digest: never guessed"
    if any(u.version is not None and u.version.variant != version.variant for u in uses):
        return f"it runs another variant than {version.text}"
    if not all(u.version is not None and u.version.key < version.key for u in uses):
        return f"it already runs {version.text} or newer"
    return None


def plan_updates(
    candidates: Iterable[Candidate], repository: str, version: ParsedTag, digest: str | None = None
) -> list[Decision]:
    decisions: list[Decision] = []
    for candidate in sorted(candidates, key=lambda c: c.application):
        policy = next((p for p in candidate.policies if p.image == repository), None)
        if policy is None:
            continue
        uses = list(image_uses(candidate.manifests, repository))
        found = sorted({u.reference for u in uses})
        reason = _why_not(policy, uses, version)
        override = ImageOverride(repository, version.text, digest) if reason is None else None
        decisions.append(
            Decision(
                candidate.application,
                override,
                policy.strategy,
                reason or f"{', '.join(found)} -> {version.text}",
                found,
            )
        )
    return decisions
