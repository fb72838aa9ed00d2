"""What the diff preview API answers: response models, and their pure assembly from the plan and the
spokes' dry-run replies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from hub.diffs.objects import ObjectDiff, describe
from hub.diffs.plan import ClusterChange, ClusterDiff, DiffPlan
from schemas.v1 import DryRunObject, DryRunReply, DryRunState

LiveState = Literal["answered", "timeout", "unreachable", "error"]
LIVE_STATES: tuple[LiveState, ...] = ("answered", "timeout", "unreachable", "error")
# What a dry run found that a real apply would do (or fail at): everything but "unchanged".
LIVE_CHANGES: frozenset[DryRunState] = frozenset({"created", "changed", "pruned", "rejected"})


class ObjectDiffOut(BaseModel):
    identity: str = Field(description="Kind[.group]/[namespace/]name.")
    group: str
    kind: str
    namespace: str | None
    name: str
    change: Literal["added", "removed", "changed"]
    diff: str = Field(description="Unified diff of the object as YAML; Secret values never shown.")


class LiveObjectOut(BaseModel):
    identity: str
    api_version: str
    kind: str
    namespace: str | None
    name: str
    state: DryRunState
    diff: str = Field(description="Unified diff of the live object against the API server's dry-run result.")
    error: str | None = None
    note: str | None = None


class LiveOut(BaseModel):
    state: LiveState = Field(
        description="answered: the spoke dry-ran the bundle; timeout: no answer by the deadline; unreachable: "
        "the cluster sends no heartbeats, so it was not asked; error: it could not be asked, or its dry run failed."
    )
    reason: str | None = Field(default=None, description="Why it did not answer, or what went wrong.")
    objects: list[LiveObjectOut] = Field(default_factory=list)
    answered_at: datetime | None = None


class ClusterDiffOut(BaseModel):
    cluster: str
    change: ClusterChange = Field(
        description="enter: nothing installed now, selected by the new selector; leave: installed now, not "
        "selected any more; stay: installed and still selected; none: the change does not reach it."
    )
    current_revision: int | None = Field(description="The release installed there now (as desired state).")
    selected_now: bool = Field(description="Selected by the application's current selector.")
    objects: list[ObjectDiffOut] = Field(
        description="Added, removed and changed objects against current desired state."
    )
    live: LiveOut | None = Field(default=None, description="With live: what the cluster's own dry run found.")


class DiffSummary(BaseModel):
    changed: bool = Field(
        description="Something would change: desired state on some cluster, or (with live) a live object."
    )
    complete: bool = Field(description="Without live, always; with live, every cluster reached answered.")
    clusters: dict[str, int] = Field(description="How many clusters enter, leave, stay, or are not reached (none).")
    entering: list[str]
    leaving: list[str]
    objects: dict[str, int] = Field(description="Objects added, removed and changed, summed over clusters.")
    live: dict[str, int] | None = Field(default=None, description="With live: clusters per live state.")
    live_changes: int | None = Field(
        default=None, description="With live: objects the dry runs found created, changed, pruned or rejected."
    )


class DiffOut(BaseModel):
    application: str
    exists: bool = Field(description="False: a new application; every cluster diffs against nothing.")
    current_revision: int | None
    new_release: bool = Field(description="A PUT with this body would make a new release.")
    digest: str = Field(description="Digest of the new manifests.")
    selector: str = Field(description="The selector the change would have.")
    current_selector: str | None
    strategy: str | None = Field(description="The strategy the new release would roll out with.")
    clusters: list[ClusterDiffOut] = Field(description="Every registered cluster, by id.")
    summary: DiffSummary


def _object_out(obj: ObjectDiff) -> ObjectDiffOut:
    assert obj.change != "unchanged"
    return ObjectDiffOut(
        identity=obj.label,
        group=obj.identity[0],
        kind=obj.kind,
        namespace=obj.namespace,
        name=obj.name,
        change=obj.change,
        diff=obj.diff,
    )


def _live_object_out(obj: DryRunObject) -> LiveObjectOut:
    ref = obj.ref
    return LiveObjectOut(
        identity=describe((ref.api_version.rpartition("/")[0], ref.kind, ref.namespace or "", ref.name)),
        api_version=ref.api_version,
        kind=ref.kind,
        namespace=ref.namespace,
        name=ref.name,
        state=obj.state,
        diff=obj.diff,
        error=obj.error,
        note=obj.note,
    )


def live_out(result: DryRunReply | tuple[LiveState, str]) -> LiveOut:
    """A reply, or (state, reason) for a cluster that did not answer."""
    if isinstance(result, tuple):
        state, reason = result
        return LiveOut(state=state, reason=reason)
    return LiveOut(
        state="error" if result.error else "answered",
        reason=result.error,
        objects=[_live_object_out(o) for o in result.objects],
        answered_at=result.time,
    )


def _cluster_out(cluster: ClusterDiff, live: LiveOut | None) -> ClusterDiffOut:
    return ClusterDiffOut(
        cluster=cluster.cluster,
        change=cluster.change,
        current_revision=cluster.current_revision,
        selected_now=cluster.selected_now,
        objects=[_object_out(o) for o in cluster.objects.changes],
        live=live,
    )


def summarize(plan: DiffPlan, live: Mapping[str, LiveOut] | None) -> DiffSummary:
    objects = Counter(o.change for c in plan.clusters for o in c.objects.changes)
    live_counts = Counter(out.state for out in live.values()) if live is not None else None
    live_changes = (
        sum(1 for out in live.values() for o in out.objects if o.state in LIVE_CHANGES) if live is not None else None
    )
    return DiffSummary(
        changed=plan.changes_anything or bool(live_changes),
        complete=live_counts is None or live_counts["answered"] == len(live or {}),
        clusters={str(change): count for change, count in plan.counts().items()},
        entering=[c.cluster for c in plan.clusters if c.change == "enter"],
        leaving=[c.cluster for c in plan.clusters if c.change == "leave"],
        objects={change: objects[change] for change in ("added", "removed", "changed")},
        live={state: live_counts[state] for state in LIVE_STATES} if live_counts is not None else None,
        live_changes=live_changes,
    )


def diff_view(
    *,
    application: str,
    exists: bool,
    current_revision: int | None,
    new_release: bool,
    digest: str,
    selector: str,
    current_selector: str | None,
    strategy: str | None,
    plan: DiffPlan,
    live: Mapping[str, LiveOut] | None,
) -> DiffOut:
    """`live`: per cluster reached, what its dry run found; None when no live dry run was asked for."""
    return DiffOut(
        application=application,
        exists=exists,
        current_revision=current_revision,
        new_release=new_release,
        digest=digest,
        selector=selector,
        current_selector=current_selector,
        strategy=strategy,
        clusters=[_cluster_out(c, live.get(c.cluster) if live is not None else None) for c in plan.clusters],
        summary=summarize(plan, live),
    )
