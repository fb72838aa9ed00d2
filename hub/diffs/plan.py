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

    def new_manifests(self, new: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """What the cluster would hold: its part of `new`, or nothing when the application leaves it."""
        return new[self.cluster] if self.change in ("enter", "stay") else []


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
    current: Mapping[str, Sequence[dict[str, Any]]],
    new: Mapping[str, Sequence[dict[str, Any]]],
    new_selector: Selector,
    current_selector: Selector | None,
) -> DiffPlan:
    """`clusters`: every registered cluster's labels; `placed`: cluster -> revision installed there now
    (active placements only); `current`: cluster -> the manifests of that release there, for every cluster
    in `placed`; `new`: cluster -> what it would get, for every cluster the new selector selects (the same
    list for all of them unless rendered per cluster); `current_selector`: None for an application that
    does not exist yet."""
    # One diff per distinct pair of lists: clusters that share a release and a rendering share it.
    diffs: dict[tuple[int, int], ReleaseDiff] = {}

    def diff_from(old: Sequence[dict[str, Any]] | None, wanted: Sequence[dict[str, Any]] | None) -> ReleaseDiff:
        if wanted is None:  # leaving
            return release_diff(old, None, new_label="removed")
        key = (id(old), id(wanted))
        if key not in diffs:
            diffs[key] = release_diff(old, wanted)
        return diffs[key]

    result: list[ClusterDiff] = []
    for cluster in sorted(clusters):
        labels = clusters[cluster]
        revision = placed.get(cluster)
        selected = new_selector.matches(labels)
        selected_now = current_selector is not None and current_selector.matches(labels)
        change = _CHANGES[(revision is not None, selected)]
        old = current[cluster] if revision is not None else None
        if change == "none":
            objects = ReleaseDiff(())
        elif change == "leave":
            objects = diff_from(old, None)
        else:
            objects = diff_from(old, new[cluster])
        result.append(ClusterDiff(cluster, change, revision, selected_now, objects))
    return DiffPlan(tuple(result))
