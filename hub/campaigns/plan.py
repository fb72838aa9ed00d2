"""Which applications a fix changes, and to what: pure, so `--dry-run` shows exactly what a campaign does.

A reference is vulnerable when its tag is a version below `older_than`. Tags that are not versions
(`latest`, `stable`) and digest-only references are never guessed: they are listed apart, and the
application is not changed for them. The fixed tag keeps the variant an application runs: with
`--to 1.27.4`, `nginx:1.27.3-alpine` becomes `nginx:1.27.4-alpine` (a target that names a variant or a
digest is used as given)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hub.images.tags import ParsedTag, VersionKey
from hub.overrides.spec import ImageOverride
from hub.overrides.usage import ImageUse, image_uses


@dataclass(frozen=True)
class Target:
    """What fixed applications run: a tag (its parsed version when it is one) and/or a digest."""

    tag: str | None
    digest: str | None
    version: ParsedTag | None

    def override_for(self, repository: str, variants: set[str | None]) -> ImageOverride:
        tag = self.tag
        if tag is not None and self.digest is None and self.version is not None and self.version.variant is None:
            # One variant in use (e.g. alpine): the fixed tag keeps it.
            (variant,) = variants if len(variants) == 1 else (None,)
            if variant:
                tag = f"{tag}-{variant}"
        return ImageOverride(repository, tag, self.digest)


@dataclass(frozen=True)
class ApplicationFix:
    application: str
    found: list[str]  # the vulnerable references, as written
    override: ImageOverride
    strategy: str | None  # the run's: the campaign's, else the application's (None: all at once)


@dataclass(frozen=True)
class Skipped:
    """An application the campaign leaves to a person, and why."""

    application: str
    references: list[str]
    reason: str


@dataclass(frozen=True)
class FixPlan:
    fixes: list[ApplicationFix] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    current: list[str] = field(default_factory=list)  # use the image, none of it vulnerable


@dataclass(frozen=True)
class Candidate:
    application: str
    manifests: list[dict[str, Any]]  # as clusters get them (overrides applied)
    strategy: str | None


def vulnerable(use: ImageUse, older_than: VersionKey) -> bool:
    return use.version is not None and use.version.key < older_than


def plan_fix(
    candidates: Iterable[Candidate],
    repository: str,
    target: Target,
    older_than: VersionKey,
    strategy: str | None = None,
) -> FixPlan:
    plan = FixPlan()
    for candidate in sorted(candidates, key=lambda c: c.application):
        uses = list(image_uses(candidate.manifests, repository))
        if not uses:
            continue
        bad = [u for u in uses if vulnerable(u, older_than)]
        unordered = sorted({u.reference for u in uses if u.version is None})
        newer = sorted(
            {
                u.reference
                for u in uses
                if u.version is not None and target.version and u.version.key > target.version.key
            }
        )
        # One override changes every use of the image in the application: never while it would also
        # replace a reference nobody can order, or move one back to an older version.
        if unordered:
            plan.skipped.append(
                Skipped(candidate.application, unordered, "tags that are not versions or digests are never guessed")
            )
            continue
        if not bad:
            plan.current.append(candidate.application)
            continue
        if newer:
            plan.skipped.append(
                Skipped(candidate.application, newer, "also runs the image newer than the target: fix it by hand")
            )
            continue
        variants = {u.version.variant for u in bad if u.version is not None}
        plan.fixes.append(
            ApplicationFix(
                application=candidate.application,
                found=sorted({u.reference for u in bad}),
                override=target.override_for(repository, variants),
                strategy=strategy or candidate.strategy,
            )
        )
    return plan
