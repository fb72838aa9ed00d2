"""Dependency cycles: found as a shortest path back to the changed application, deterministically;
and (hypothesis) a graph grown only by changes the check allowed never has a cycle."""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.dependencies.graph import cycle, cycle_text, missing


def test_no_cycle_in_a_chain_or_a_diamond() -> None:
    edges = {"web": ["api"], "api": ["db", "cache"], "cache": ["db"]}
    assert cycle(edges, "web", ["api", "db"]) is None
    assert cycle(edges, "db", []) is None
    assert cycle({}, "web", ["db"]) is None


def test_a_self_dependency_is_a_cycle() -> None:
    assert cycle({}, "web", ["web"]) == ["web", "web"]
    assert cycle_text(["web", "web"]) == "web -> web"


def test_a_two_step_cycle() -> None:
    assert cycle({"api": ["web"]}, "web", ["api"]) == ["web", "api", "web"]


def test_the_shortest_cycle_is_named_whatever_the_order_given() -> None:
    edges = {"a": ["b"], "b": ["c"], "c": ["web"], "z": ["web"]}
    assert cycle(edges, "web", ["a", "z"]) == ["web", "z", "web"]
    assert cycle(edges, "web", ["z", "a"]) == ["web", "z", "web"]
    assert cycle(edges, "web", ["a"]) == ["web", "a", "b", "c", "web"]


def test_equal_lengths_are_broken_alphabetically() -> None:
    edges = {"b": ["web"], "a": ["web"]}
    assert cycle(edges, "web", ["b", "a"]) == ["web", "a", "web"]


def test_the_changed_applications_old_edges_do_not_count() -> None:
    # web used to depend on api, and api on web would have been a cycle; web now depends on db only.
    edges = {"web": ["api"], "api": ["web"]}
    assert cycle(edges, "web", ["db"]) is None


def test_dependencies_on_unknown_applications_are_allowed_and_reported_missing() -> None:
    assert cycle({}, "web", ["not-yet"]) is None
    assert missing(["db", "cache", "db"], ["db", "web"]) == ["cache"]


NAMES = st.sampled_from(["a", "b", "c", "d", "e", "f"])


def _acyclic(edges: dict[str, set[str]]) -> bool:
    try:
        tuple(TopologicalSorter(edges).static_order())
    except CycleError:
        return False
    return True


@settings(max_examples=300)
@given(st.lists(st.tuples(NAMES, st.lists(NAMES, max_size=3)), max_size=30))
def test_a_graph_grown_by_allowed_changes_stays_acyclic(changes: list[tuple[str, list[str]]]) -> None:
    edges: dict[str, set[str]] = {}
    for changed, deps in changes:
        found = cycle(edges, changed, deps)
        proposed = {**edges, changed: set(deps)}
        if found is None:
            edges = proposed
            assert _acyclic(edges)
        else:
            # A refused change names a real cycle of the graph it would have made.
            assert found[0] == found[-1] == changed
            assert all(b in proposed.get(a, set()) for a, b in pairwise(found))
            assert not _acyclic(proposed)
