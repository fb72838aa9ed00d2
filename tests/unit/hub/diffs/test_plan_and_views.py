"""Per cluster: enter, leave, stay or none, each against the release placed there; the API's view and
summary; and replies matched to the requests waiting for them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hub.diffs.plan import plan_diff
from hub.diffs.replies import PendingReplies, Resolution
from hub.diffs.views import diff_view, live_out
from hub.selectors import parse_selector
from schemas.v1 import DryRunObject, DryRunReply, ObjectRef

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def configmap(name: str, value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "shop"},
        "data": {"v": value},
    }


V1 = [configmap("cfg", "1")]
V2 = [configmap("cfg", "2")]
CLUSTERS = {
    "c-staging": {"env": "staging"},
    "c-prod": {"env": "prod"},
    "c-dev": {"env": "dev"},
    "c-mid-rollout": {"env": "prod"},
}


def _plan(
    clusters: dict[str, dict[str, str]],
    placed: dict[str, int],
    releases: dict[int, list[dict[str, Any]]],
    new_manifests: list[dict[str, Any]],
    new_selector: Any,
    current_selector: Any,
) -> Any:
    """A plan for manifests shared by every cluster (a chart is rendered per cluster: see below)."""
    current = {c: releases[r] for c, r in placed.items()}
    return plan_diff(clusters, placed, current, dict.fromkeys(clusters, new_manifests), new_selector, current_selector)


def test_a_chart_rendered_per_cluster_diffs_each_cluster_against_its_own_rendering() -> None:
    eu, us = [configmap("cfg", "eu")], [configmap("cfg", "us")]
    plan = plan_diff(
        {"a": {"region": "eu"}, "b": {"region": "us"}},
        {"a": 1, "b": 1},
        {"a": eu, "b": [configmap("cfg", "old")]},
        {"a": eu, "b": us},
        parse_selector(""),
        parse_selector(""),
    )
    by = {c.cluster: c for c in plan.clusters}
    assert by["a"].objects.empty and by["b"].objects.summary() == "1 changed"
    assert by["b"].new_manifests({"a": eu, "b": us}) == us


def test_each_cluster_diffs_against_the_revision_placed_there() -> None:
    plan = _plan(
        CLUSTERS,
        placed={"c-staging": 2, "c-prod": 1, "c-mid-rollout": 2},
        releases={1: V1, 2: V2},
        new_manifests=V2,
        new_selector=parse_selector("env in (prod,dev)"),
        current_selector=parse_selector("env in (staging,prod)"),
    )
    by = {c.cluster: c for c in plan.clusters}
    assert [c.cluster for c in plan.clusters] == sorted(CLUSTERS)
    assert by["c-prod"].change == "stay" and by["c-prod"].objects.summary() == "1 changed"
    assert by["c-mid-rollout"].change == "stay" and by["c-mid-rollout"].objects.empty  # already has revision 2
    assert by["c-dev"].change == "enter" and by["c-dev"].objects.summary() == "1 added"
    assert not by["c-dev"].selected_now
    assert by["c-staging"].change == "leave" and by["c-staging"].objects.summary() == "1 removed"
    new = dict.fromkeys(CLUSTERS, V2)
    assert by["c-staging"].new_manifests(new) == [] and by["c-dev"].new_manifests(new) == V2
    assert plan.counts() == {"enter": 1, "leave": 1, "stay": 2, "none": 0}
    assert plan.changes_anything


def test_an_unchanged_application_changes_nothing_and_unselected_clusters_are_not_reached() -> None:
    plan = _plan(CLUSTERS, {"c-prod": 1}, {1: V1}, V1, parse_selector("env=prod,tier!=x"), parse_selector("env=prod"))
    by = {c.cluster: c for c in plan.clusters}
    assert by["c-prod"].change == "stay" and by["c-prod"].objects.empty
    assert by["c-mid-rollout"].change == "enter"  # selected, but nothing placed there yet
    assert by["c-dev"].change == "none" and not by["c-dev"].reached
    assert [c.cluster for c in plan.reached] == ["c-mid-rollout", "c-prod"]


def test_a_new_application_enters_every_selected_cluster() -> None:
    plan = _plan(CLUSTERS, {}, {}, V1, parse_selector(""), None)
    assert {c.change for c in plan.clusters} == {"enter"}
    assert not any(c.selected_now for c in plan.clusters)


@given(
    st.dictionaries(st.sampled_from(list(CLUSTERS)), st.sampled_from([1, 2])),
    st.sampled_from(["", "env=prod", "env in (dev,staging)", "env=none"]),
)
def test_every_cluster_is_listed_once_with_the_change_its_placement_and_selection_say(
    placed: dict[str, int], selector: str
) -> None:
    new_selector = parse_selector(selector)
    plan = _plan(CLUSTERS, placed, {1: V1, 2: V2}, V2, new_selector, parse_selector(""))
    assert [c.cluster for c in plan.clusters] == sorted(CLUSTERS)
    for cluster in plan.clusters:
        selected, installed = new_selector.matches(CLUSTERS[cluster.cluster]), cluster.cluster in placed
        expected = {(False, True): "enter", (True, False): "leave", (True, True): "stay", (False, False): "none"}
        assert cluster.change == expected[(installed, selected)]
        assert cluster.current_revision == placed.get(cluster.cluster)
        if cluster.change == "stay":
            assert cluster.objects.empty == (placed[cluster.cluster] == 2)


def _reply(cluster: str, request_id: uuid.UUID, *states: str) -> DryRunReply:
    ref = ObjectRef(api_version="v1", kind="ConfigMap", name="cfg", namespace="shop")
    return DryRunReply(
        request_id=request_id,
        cluster=cluster,
        application="web",
        objects=[DryRunObject(ref=ref, state=s, diff="-a\n+b" if s == "changed" else "") for s in states],  # type: ignore[arg-type]
        time=T0,
    )


def test_the_view_lists_every_cluster_and_summarizes_live_answers() -> None:
    plan = _plan(
        CLUSTERS,
        {"c-prod": 1, "c-staging": 1},
        {1: V1},
        V1,
        parse_selector("env in (prod,staging)"),
        parse_selector("env in (prod,staging)"),
    )
    live = {
        "c-prod": live_out(_reply("c-prod", uuid.uuid4(), "changed")),
        "c-staging": live_out(_reply("c-staging", uuid.uuid4(), "unchanged")),
        "c-mid-rollout": live_out(("timeout", "no answer within 5s")),
    }
    view = diff_view(
        application="web",
        exists=True,
        current_revision=1,
        new_release=False,
        digest="sha256:x",
        selector="env in (prod,staging)",
        current_selector="env in (prod,staging)",
        strategy=None,
        plan=plan,
        live=live,
    )
    by = {c.cluster: c for c in view.clusters}
    assert by["c-prod"].objects == [] and by["c-prod"].live is not None
    assert by["c-prod"].live.objects[0].identity == "ConfigMap/shop/cfg"
    assert by["c-mid-rollout"].live is not None and by["c-mid-rollout"].live.state == "timeout"
    assert by["c-dev"].live is None and by["c-dev"].change == "none"
    assert view.summary.changed  # the desired state is the same, but prod drifted
    assert not view.summary.complete
    assert view.summary.live == {"answered": 2, "timeout": 1, "unreachable": 0, "error": 0}
    assert view.summary.live_changes == 1
    assert view.summary.entering == ["c-mid-rollout"] and view.summary.leaving == []


def test_without_live_the_summary_is_complete_and_says_whether_desired_state_changes() -> None:
    plan = _plan({"c-prod": {"env": "prod"}}, {"c-prod": 1}, {1: V1}, V1, parse_selector("env=prod"), None)
    view = diff_view(
        application="web",
        exists=True,
        current_revision=1,
        new_release=False,
        digest="d",
        selector="env=prod",
        current_selector="env=prod",
        strategy=None,
        plan=plan,
        live=None,
    )
    assert not view.summary.changed and view.summary.complete
    assert view.summary.live is None and view.summary.live_changes is None


async def test_replies_resolve_only_their_own_request_before_the_deadline() -> None:
    pending = PendingReplies()
    asked = uuid.uuid4()
    future = pending.expect(asked, "c-prod", T0 + timedelta(seconds=5))
    assert pending.resolve(_reply("c-prod", uuid.uuid4()), T0) is Resolution.UNKNOWN  # another replica's
    assert pending.resolve(_reply("c-staging", asked), T0) is Resolution.WRONG_CLUSTER
    assert not future.done()
    assert pending.resolve(_reply("c-prod", asked), T0 + timedelta(seconds=6)) is Resolution.LATE
    assert not future.done()
    assert pending.resolve(_reply("c-prod", asked), T0 + timedelta(seconds=1)) is Resolution.ACCEPTED
    assert (await asyncio.wait_for(future, 1)).cluster == "c-prod"
    assert pending.resolve(_reply("c-prod", asked), T0) is Resolution.UNKNOWN  # a duplicate
    pending.forget(asked)
    assert len(pending) == 0


async def test_forgetting_a_request_cancels_its_wait() -> None:
    pending = PendingReplies()
    asked = uuid.uuid4()
    future = pending.expect(asked, "c-prod", T0)
    pending.forget(asked)
    assert future.cancelled()
    assert pending.resolve(_reply("c-prod", asked), T0) is Resolution.UNKNOWN
