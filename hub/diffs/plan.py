"""Per cluster, what a proposed change of an application would do: what the cluster has now as desired
state (the release last placed there) against what it would get (the new manifests if the new selector
selects it; nothing if it does not).

    enter  nothing installed now, selected by the new selector: everything is added
    leave  installed now, not selected any more: everything is removed
    stay   installed now and still selected: the object-level diff of the two releases
    none   neither: the change does not reach it

Pure: the service loads clusters, placements and releases and hands them in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hub.diffs.objects import ReleaseDiff, release_diff
from hub.selectors import Selector

ClusterChange = Literal["enter", "leave", "stay", "none"]
CLUSTER_CHANGES: tuple[ClusterChange, ...] = ("enter", "leave", "stay", "none")


# (installed now, selected by the new selector) -> what happens to the cluster
_CHANGES: dict[tuple[bool, bool], ClusterChange] = {
    (False, True): "enter",
    (True, False): "leave",
    (True, True): "stay",
    (False, False): "none",
}


@dataclass(frozen=True)
class ClusterDiff:
    cluster: str
    change: ClusterChange
    current_revision: int | None  # the release placed there now; None: nothing installed
    selected_now: bool  # by the application's current selector (False for a new application)
    objects: ReleaseDiff

    @property
    def reached(self) -> bool:
        """The change reaches this cluster (its spoke would act on it)."""
        return self.change != "none"

    @property
    def changes_anything(self) -> bool:
        return self.change in ("enter", "leave") or not self.objects.empty

    def new_manifests(self, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """What the cluster would hold: `new`, or nothing when the application leaves it."""
        return new if self.change in ("enter", "stay") else []


@dataclass(frozen=True)
class DiffPlan:
    clusters: tuple[ClusterDiff, ...]  # every registered cluster, by id

    @property
    def reached(self) -> list[ClusterDiff]:
        return [c for c in self.clusters if c.reached]

    @property
    def changes_anything(self) -> bool:
        return any(c.changes_anything for c in self.clusters)

    def counts(self) -> dict[ClusterChange, int]:
        counted = Counter(c.change for c in self.clusters)
        return {change: counted[change] for change in CLUSTER_CHANGES}


def plan_diff(
    clusters: Mapping[str, Mapping[str, str]],
    placed: Mapping[str, int],
    releases: Mapping[int, Sequence[dict[str, Any]]],
    new_manifests: Sequence[dict[str, Any]],
    new_selector: Selector,
    current_selector: Selector | None,
) -> DiffPlan:
    """`clusters`: every registered cluster's labels; `placed`: cluster -> revision installed there now
    (active placements only); `releases`: revision -> manifests, for every revision in `placed`;
    `current_selector`: None for an application that does not exist yet."""
    diffs: dict[int | None, ReleaseDiff] = {}  # one diff per distinct current revision: a fleet shares few

    def diff_from(revision: int | None, new: Sequence[dict[str, Any]] | None) -> ReleaseDiff:
        if new is None:  # leaving: not cached with the same key as staying
            old = releases[revision] if revision is not None else None
            return release_diff(old, None, new_label="removed")
        if revision not in diffs:
            diffs[revision] = release_diff(releases[revision] if revision is not None else None, new)
        return diffs[revision]

    result: list[ClusterDiff] = []
    for cluster in sorted(clusters):
        labels = clusters[cluster]
        revision = placed.get(cluster)
        selected = new_selector.matches(labels)
        selected_now = current_selector is not None and current_selector.matches(labels)
        change = _CHANGES[(revision is not None, selected)]
        if change == "none":
            objects = ReleaseDiff(())
        elif change == "leave":
            objects = diff_from(revision, None)
        else:
            objects = diff_from(revision, new_manifests)
        result.append(ClusterDiff(cluster, change, revision, selected_now, objects))
    return DiffPlan(tuple(result))
