from __future__ import annotations

from hub.placements import Change, Placement, Release, plan_cluster_labels, plan_release, plan_removals
from hub.selectors import parse_selector

CLUSTERS = {"c1": {"env": "prod"}, "c2": {"env": "staging"}, "c3": {"env": "dev"}}


def release(revision: int, selector: str) -> Release:
    return Release("web", revision, parse_selector(selector))


def test_a_new_application_goes_to_every_matching_cluster_at_generation_1() -> None:
    assert plan_release(release(1, "env in (prod,staging)"), CLUSTERS, {}) == [
        Change("c1", "web", 1, 1, "bundle"),
        Change("c2", "web", 1, 1, "bundle"),
    ]


def test_an_update_bumps_each_generation_and_removes_where_unselected() -> None:
    placements = {
        "c1": Placement("c1", "web", 4, True, 2),
        "c2": Placement("c2", "web", 1, True, 2),
    }
    assert plan_release(release(3, "env=prod"), CLUSTERS, placements) == [
        Change("c1", "web", 5, 3, "bundle"),
        Change("c2", "web", 2, 2, "removal", "unselected"),
    ]


def test_a_placement_already_at_the_revision_is_left_alone() -> None:
    placements = {"c1": Placement("c1", "web", 4, True, 3)}
    assert plan_release(release(3, "env=prod"), CLUSTERS, placements) == []


def test_re_selection_continues_the_generation_after_a_removal() -> None:
    placements = {"c3": Placement("c3", "web", 6, False, 2)}
    assert plan_release(release(3, "env=dev"), CLUSTERS, placements) == [Change("c3", "web", 7, 3, "bundle")]


def test_placements_on_deregistered_clusters_are_ignored() -> None:
    placements = {"gone": Placement("gone", "web", 2, False, 1)}
    assert plan_release(release(2, ""), {"c1": {}}, placements) == [Change("c1", "web", 1, 2, "bundle")]


def test_a_relabelled_cluster_gains_and_loses_applications() -> None:
    releases = {
        "api": Release("api", 2, parse_selector("env=prod")),
        "web": Release("web", 5, parse_selector("env=staging")),
        "ops": Release("ops", 1, parse_selector("")),
    }
    placements = {
        "web": Placement("c1", "web", 3, True, 5),
        "ops": Placement("c1", "ops", 1, True, 1),
        "old": Placement("c1", "old", 2, False, 4),  # deleted application, removal already sent
    }
    assert plan_cluster_labels("c1", {"env": "prod"}, releases, placements) == [
        Change("c1", "api", 1, 2, "bundle"),
        Change("c1", "web", 4, 5, "removal", "unselected"),
    ]


def test_a_relabelled_cluster_keeps_the_revision_it_runs() -> None:
    """Mid-rollout a cluster may run a newer (or older) revision than the stable one: a label change that
    keeps it selected changes nothing; only one that drops it does."""
    releases = {"web": Release("web", 5, parse_selector("env in (prod,canary)"))}
    placements = {"web": Placement("c1", "web", 7, True, 6)}
    assert plan_cluster_labels("c1", {"env": "canary"}, releases, placements) == []
    assert plan_cluster_labels("c1", {"env": "dev"}, releases, placements) == [
        Change("c1", "web", 8, 6, "removal", "unselected")
    ]


def test_a_new_cluster_receives_what_selects_it() -> None:
    releases = {"web": Release("web", 5, parse_selector("env=staging"))}
    assert plan_cluster_labels("c9", {"env": "staging"}, releases, {}) == [Change("c9", "web", 1, 5, "bundle")]


def test_removals_for_deletion_and_deregistration() -> None:
    placements = {
        "c1": Placement("c1", "web", 2, True, 3),
        "c2": Placement("c2", "web", 5, False, 3),
    }
    assert plan_removals(placements, "deleted") == [Change("c1", "web", 3, 3, "removal", "deleted")]
    assert plan_removals(placements, "deregistered") == [Change("c1", "web", 3, 3, "removal", "deregistered")]
