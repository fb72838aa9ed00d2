"""The sync plan: create, update, unchanged, delete (pruned or skipped), and other sources' objects."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hub.fleetcode.documents import Document
from hub.fleetcode.plan import Action, Managed, Source, differences, plan_sync

HERE = Source("git@example.com:fleet.git", "clusters/prod")
ELSEWHERE = Source("git@example.com:other.git", ".")


def doc(kind: str, name: str) -> Document:
    return Document(kind, name, {}, f"{name}.yaml", 1)


def test_create_update_unchanged_in_dependency_order() -> None:
    documents = [doc("Application", "web"), doc("Strategy", "waves"), doc("Application", "api")]
    desired = {
        ("Application", "web"): {"selector": "env=prod", "manifests": [1]},
        ("Application", "api"): {"selector": ""},
        ("Strategy", "waves"): {"digest": "a"},
    }
    current = {
        ("Application", "web"): {"selector": "env=dev", "manifests": [1]},
        ("Strategy", "waves"): {"digest": "a"},
    }
    managed = {("Strategy", "waves"): Managed("Strategy", "waves", HERE)}
    plan = plan_sync(documents, desired, current, managed, HERE, prune=False)
    assert [(s.kind, s.name, s.action, s.detail) for s in plan.steps] == [
        ("Strategy", "waves", Action.UNCHANGED, ""),
        ("Application", "api", Action.CREATE, ""),
        ("Application", "web", Action.UPDATE, "changed: selector"),
    ]
    assert plan.counts() == {"create": 1, "update": 1, "unchanged": 1, "delete": 0, "skipped": 0}


def test_only_this_sources_objects_are_deleted_and_only_with_prune() -> None:
    managed = {
        ("Application", "old"): Managed("Application", "old", HERE),
        ("Application", "theirs"): Managed("Application", "theirs", ELSEWHERE),
        ("Strategy", "gone"): Managed("Strategy", "gone", HERE),
    }
    current = {("Application", "old"): {}, ("Application", "theirs"): {}, ("Application", "by-hand"): {}}
    skipped = plan_sync([], {}, current, managed, HERE, prune=False)
    assert [(s.name, s.action, s.skipped, s.exists) for s in skipped.steps] == [
        ("old", Action.DELETE, True, True),
        ("gone", Action.DELETE, False, False),  # deleted by hand: only the record goes
    ]
    assert skipped.steps[0].detail == "skipped: pass --prune"
    pruned = plan_sync([], {}, current, managed, HERE, prune=True)
    assert [(s.name, s.skipped) for s in pruned.steps] == [("old", False), ("gone", False)]
    assert not pruned.conflicts


def test_an_object_another_source_manages_is_a_conflict() -> None:
    managed = {("Application", "web"): Managed("Application", "web", ELSEWHERE)}
    plan = plan_sync([doc("Application", "web")], {("Application", "web"): {}}, {}, managed, HERE, prune=True)
    assert plan.steps == [] and "managed by git@example.com:other.git" in plan.conflicts[0]


def test_an_object_made_by_hand_is_taken_over_when_unchanged_or_updated() -> None:
    plan = plan_sync(
        [doc("Application", "web")],
        {("Application", "web"): {"a": 1}},
        {("Application", "web"): {"a": 1}},
        {},
        HERE,
        prune=False,
    )
    assert (plan.steps[0].action, plan.steps[0].detail) == (Action.UNCHANGED, "now managed by this source")


def test_differences_name_the_fields() -> None:
    assert differences({"a": 1, "b": 2}, {"a": 1, "c": 3}) == ["b", "c"]


names = st.sampled_from(["a", "b", "c", "d", "e"])
kinds = st.sampled_from(["Application", "Strategy", "Subscription"])
keys = st.tuples(kinds, names)
sources = st.sampled_from([HERE, ELSEWHERE])


@given(
    wanted=st.dictionaries(keys, st.integers(0, 2), max_size=8),
    current=st.dictionaries(keys, st.integers(0, 2), max_size=8),
    managed=st.dictionaries(keys, sources, max_size=8),
    prune=st.booleans(),
)
def test_plan_invariants(
    wanted: dict[tuple[str, str], int],
    current: dict[tuple[str, str], int],
    managed: dict[tuple[str, str], Source],
    prune: bool,
) -> None:
    documents = [doc(kind, name) for kind, name in wanted]
    plan = plan_sync(
        documents,
        {k: {"v": v} for k, v in wanted.items()},
        {k: {"v": v} for k, v in current.items()},
        {k: Managed(k[0], k[1], s) for k, s in managed.items()},
        HERE,
        prune=prune,
    )
    steps = {(s.kind, s.name): s for s in plan.steps}
    assert len(steps) == len(plan.steps)  # one step per object
    for key in wanted:
        if managed.get(key, HERE) != HERE:
            assert key not in steps  # another source's object: a conflict, never touched
            continue
        step = steps[key]
        expected = (
            Action.CREATE
            if key not in current
            else (Action.UNCHANGED if current[key] == wanted[key] else Action.UPDATE)
        )
        assert step.action == expected
    for key, step in steps.items():
        if step.action == Action.DELETE:
            assert key not in wanted and managed[key] == HERE  # only what this source manages
            assert step.skipped == (not prune and step.exists)
    assert len(plan.conflicts) == sum(1 for k in wanted if managed.get(k, HERE) != HERE)
