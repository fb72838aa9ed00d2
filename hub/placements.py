"""Placement planning: which clusters gain or lose an application, and with which generation.

Pure functions over what the store holds. The services load the state, call one of these, and write
the changes and their outbox records in the same transaction.

A placement is (cluster, application). Its generation grows with every desired-state message sent for
it, and is kept after a removal, a deletion or a deregistration: a spoke that still holds generation 7
must see 8 next, never 1 again, or it would ignore a re-placed application.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from hub.selectors import Selector

RemovalReason = Literal["deleted", "unselected", "deregistered"]


@dataclass(frozen=True)
class Placement:
    """What was last sent for one (cluster, application)."""

    cluster: str
    application: str
    generation: int
    active: bool  # the last message was a bundle (installed), not a removal
    revision: int


@dataclass(frozen=True)
class Release:
    application: str
    revision: int
    selector: Selector


@dataclass(frozen=True)
class Change:
    """One desired-state message to send: a bundle (install or update) or a removal."""

    cluster: str
    application: str
    generation: int
    revision: int
    kind: Literal["bundle", "removal"]
    reason: RemovalReason | None = None


def _bundle(cluster: str, application: str, revision: int, previous: Placement | None) -> Change:
    generation = previous.generation + 1 if previous else 1
    return Change(cluster, application, generation, revision, "bundle")


def _removal(placement: Placement, reason: RemovalReason) -> Change:
    return Change(
        placement.cluster, placement.application, placement.generation + 1, placement.revision, "removal", reason
    )


def plan_release(
    release: Release,
    clusters: Mapping[str, Mapping[str, str]],
    placements: Mapping[str, Placement],
) -> list[Change]:
    """A new release of one application: bundles where it is selected and not already at this revision,
    removals where it was installed and is no longer selected. `placements` is keyed by cluster."""
    changes: list[Change] = []
    for cluster in sorted(clusters):
        previous = placements.get(cluster)
        if release.selector.matches(clusters[cluster]):
            if previous is None or not previous.active or previous.revision != release.revision:
                changes.append(_bundle(cluster, release.application, release.revision, previous))
        elif previous is not None and previous.active:
            changes.append(_removal(previous, "unselected"))
    # Placements on clusters no longer registered are left alone: deregistration sent their removals.
    return changes


def plan_cluster_labels(
    cluster: str,
    labels: Mapping[str, str],
    releases: Mapping[str, Release],
    placements: Mapping[str, Placement],
) -> list[Change]:
    """A cluster registered or relabelled: it gains the applications that now select it and loses those
    that no longer do. `releases` holds, for each live application, the release a joining cluster gets
    (its stable one: the newest rolled out everywhere); `placements` is keyed by application.

    A cluster that keeps an application keeps the revision it has: a rollout in progress (or one that
    stopped half way) decides which clusters run which revision, not a label change."""
    changes: list[Change] = []
    for application in sorted(set(releases) | set(placements)):
        release = releases.get(application)
        previous = placements.get(application)
        if release is not None and release.selector.matches(labels):
            if previous is None or not previous.active:
                changes.append(_bundle(cluster, application, release.revision, previous))
        elif previous is not None and previous.active:
            changes.append(_removal(previous, "unselected"))
    return changes


def plan_refresh(placements: list[Placement]) -> list[Change]:
    """Bundles again at the revision each placement has: for chart and template releases whose rendering
    for the cluster changed with the cluster's facts (a label a value refers to)."""
    return [_bundle(p.cluster, p.application, p.revision, p) for p in sorted(placements, key=lambda p: p.application)]


def plan_removals(placements: Mapping[str, Placement], reason: RemovalReason) -> list[Change]:
    """An application deleted or a cluster deregistered: a removal for every placement still installed."""
    return [_removal(p, reason) for _, p in sorted(placements.items()) if p.active]


def apply_change(change: Change) -> Placement:
    """The placement after `change` is sent."""
    return Placement(
        cluster=change.cluster,
        application=change.application,
        generation=change.generation,
        active=change.kind == "bundle",
        revision=change.revision,
    )
